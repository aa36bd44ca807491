/// The header of every etcd response (etcdserverpb.ResponseHeader).
public struct EtcdResponseHeader: Sendable, Hashable {
    public var clusterID: UInt64 = 0
    public var memberID: UInt64 = 0
    /// The store's revision when the request was served.
    public var revision: Int64 = 0
    public var raftTerm: UInt64 = 0

    public init() {}
}

/// A key and its value with etcd's bookkeeping (mvccpb.KeyValue).
public struct EtcdKeyValue: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision of the last creation of this key.
    public var createRevision: Int64 = 0
    /// The revision of the last change.
    public var modRevision: Int64 = 0
    /// Changes since creation: 1 after the first put; 0 means "no such key" in a compare.
    public var version: Int64 = 0
    /// The lease attached to the key; 0 for none.
    public var lease: Int64 = 0

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }

    /// The key as UTF-8 text.
    public var keyString: String { String(decoding: key, as: UTF8.self) }
    /// The value as UTF-8 text.
    public var valueString: String { String(decoding: value, as: UTF8.self) }
}

/// A range read (etcdserverpb.RangeRequest): one key, a key range, or a prefix.
public struct EtcdRangeRequest: Sendable, Hashable {
    public var key: [UInt8]
    /// End of the range, exclusive; empty for the single key `key`; `[0]` for every key ≥ `key`.
    public var rangeEnd: [UInt8] = []
    /// At most this many keys; 0 for no limit.
    public var limit: Int64 = 0
    /// Read at this revision; 0 for the latest.
    public var revision: Int64 = 0
    /// Return keys without values.
    public var keysOnly = false
    /// Return only the count.
    public var countOnly = false
    /// Serve from the member's local store without a quorum read.
    public var serializable = false

    /// The single key `key`.
    public init(key: String) {
        self.key = Array(key.utf8)
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: String) -> EtcdRangeRequest {
        var request = EtcdRangeRequest(key: prefix)
        request.rangeEnd = EtcdRangeRequest.prefixEnd(of: request.key)
        return request
    }

    /// The smallest key greater than every key starting with `prefix`: the prefix with its
    /// last byte below 0xff incremented (what `clientv3.GetPrefixRangeEnd` computes).
    public static func prefixEnd(of prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }
}

/// What a range read returned.
public struct EtcdRangeResponse: Sendable, Hashable {
    public var header = EtcdResponseHeader()
    public var kvs: [EtcdKeyValue] = []
    /// Whether more keys matched than `limit` allowed.
    public var more = false
    /// How many keys matched the range (regardless of `limit`).
    public var count: Int64 = 0

    public init() {}
}

/// A write of one key (etcdserverpb.PutRequest).
public struct EtcdPutRequest: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// Attach to this lease; 0 for none.
    public var lease: Int64 = 0
    /// Return the value the key had before.
    public var prevKV = false

    public init(key: String, value: String) {
        self.key = Array(key.utf8)
        self.value = Array(value.utf8)
    }

    public init(key: [UInt8], value: [UInt8]) {
        self.key = key
        self.value = value
    }
}

/// What a put returned.
public struct EtcdPutResponse: Sendable, Hashable {
    public var header = EtcdResponseHeader()
    /// The previous value, when asked for and the key existed.
    public var prevKV: EtcdKeyValue?

    public init() {}
}

/// A delete of one key or a range (etcdserverpb.DeleteRangeRequest).
public struct EtcdDeleteRequest: Sendable, Hashable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8] = []
    /// Return the deleted pairs.
    public var prevKV = false

    public init(key: String) {
        self.key = Array(key.utf8)
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: String) -> EtcdDeleteRequest {
        var request = EtcdDeleteRequest(key: prefix)
        request.rangeEnd = EtcdRangeRequest.prefixEnd(of: request.key)
        return request
    }
}

/// What a delete returned.
public struct EtcdDeleteResponse: Sendable, Hashable {
    public var header = EtcdResponseHeader()
    /// How many keys were deleted.
    public var deleted: Int64 = 0
    public var prevKVs: [EtcdKeyValue] = []

    public init() {}
}
