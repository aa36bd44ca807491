/// A lease (etcdserverpb.LeaseGrantResponse / LeaseKeepAliveResponse).
public struct EtcdLease: Sendable, Hashable {
    public var id: Int64
    /// Seconds left; 0 after a keep-alive means the lease had already expired.
    public var ttl: Int64

    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }
}

/// A member's status (etcdserverpb.StatusResponse).
public struct EtcdStatus: Sendable, Hashable {
    public var header = EtcdResponseHeader()
    /// The member's etcd version, for example `3.4.23`.
    public var version = ""
    public var dbSize: Int64 = 0
    /// The member ID of the current leader; 0 when there is none.
    public var leader: UInt64 = 0
    public var raftIndex: UInt64 = 0
    public var raftTerm: UInt64 = 0
    public var isLearner = false
    /// Alarms and errors the member reports.
    public var errors: [String] = []

    public init() {}

    /// Whether the member that answered is the leader.
    public var isLeader: Bool { leader != 0 && leader == header.memberID }
}

/// A cluster member (etcdserverpb.Member).
public struct EtcdMember: Sendable, Hashable {
    public var id: UInt64
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: UInt64, name: String, peerURLs: [String], clientURLs: [String], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }
}

/// One change seen by a watch (mvccpb.Event).
public struct EtcdEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case put = "PUT"
        case delete = "DELETE"
    }

    public var kind: Kind
    /// The key after the change (for a delete: the key and its mod revision only).
    public var kv: EtcdKeyValue
    /// The key before the change, when the watch asked for it.
    public var prevKV: EtcdKeyValue?

    public init(kind: Kind, kv: EtcdKeyValue, prevKV: EtcdKeyValue? = nil) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
    }
}
