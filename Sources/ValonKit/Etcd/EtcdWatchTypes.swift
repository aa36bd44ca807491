/// What to watch (etcdserverpb.WatchCreateRequest).
public struct EtcdWatchRequest: Sendable, Hashable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8] = []
    /// First revision to report; 0 for "changes after now".
    public var startRevision: Int64 = 0
    /// Report each key's previous value with its event.
    public var prevKV = false
    /// Ask etcd for periodic progress notifications (they advance the resume revision).
    public var progressNotify = true

    public init(key: String) {
        self.key = Array(key.utf8)
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: String, startRevision: Int64 = 0) -> EtcdWatchRequest {
        var request = EtcdWatchRequest(key: prefix)
        request.rangeEnd = EtcdRangeRequest.prefixEnd(of: request.key)
        request.startRevision = startRevision
        return request
    }
}

/// One batch of changes from a watch: all events of one or more revisions, in order.
public struct EtcdWatchResponse: Sendable, Hashable {
    /// The store's revision when etcd sent the batch.
    public var revision: Int64
    public var events: [EtcdEvent]

    public init(revision: Int64, events: [EtcdEvent]) {
        self.revision = revision
        self.events = events
    }
}
