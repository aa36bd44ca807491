/// One condition of a transaction (etcdserverpb.Compare): a key's value, version, create
/// revision, mod revision or lease compared with a constant. With a `rangeEnd`, the
/// condition must hold for every key of the range.
public struct EtcdCompare: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        case value([UInt8])
        /// 0 for a key that does not exist.
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case lease(Int64)
    }

    public enum Result: String, Sendable, Hashable {
        case equal = "EQUAL"
        case greater = "GREATER"
        case less = "LESS"
        case notEqual = "NOT_EQUAL"
    }

    public var key: [UInt8]
    public var rangeEnd: [UInt8] = []
    public var target: Target
    public var result: Result

    public init(key: String, _ target: Target, _ result: Result = .equal) {
        self.key = Array(key.utf8)
        self.target = target
        self.result = result
    }

    /// `key` does not exist.
    public static func absent(_ key: String) -> EtcdCompare {
        EtcdCompare(key: key, .version(0))
    }

    /// No key starting with `prefix` exists.
    public static func absent(prefix: String) -> EtcdCompare {
        var compare = EtcdCompare(key: prefix, .version(0))
        compare.rangeEnd = EtcdRangeRequest.prefixEnd(of: compare.key)
        return compare
    }

    /// `key` holds exactly `value`.
    public static func value(_ key: String, equals value: String) -> EtcdCompare {
        EtcdCompare(key: key, .value(Array(value.utf8)))
    }
}

/// One operation inside a transaction (etcdserverpb.RequestOp).
public enum EtcdOperation: Sendable, Hashable {
    case range(EtcdRangeRequest)
    case put(EtcdPutRequest)
    case delete(EtcdDeleteRequest)
}

/// The answer to one operation of a transaction (etcdserverpb.ResponseOp).
public enum EtcdOperationResponse: Sendable, Hashable {
    case range(EtcdRangeResponse)
    case put(EtcdPutResponse)
    case delete(EtcdDeleteResponse)

    /// The range response, if this is one.
    public var range: EtcdRangeResponse? {
        if case .range(let response) = self { return response }
        return nil
    }
}

/// A transaction: if every compare holds, run `success`, else `failure`, atomically.
public struct EtcdTxnRequest: Sendable, Hashable {
    public var compare: [EtcdCompare]
    public var success: [EtcdOperation]
    public var failure: [EtcdOperation]

    public init(compare: [EtcdCompare] = [], success: [EtcdOperation] = [], failure: [EtcdOperation] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// What a transaction did.
public struct EtcdTxnResponse: Sendable, Hashable {
    public var header = EtcdResponseHeader()
    /// Whether the compares held (and `success` ran).
    public var succeeded = false
    /// One response per operation of the branch that ran.
    public var responses: [EtcdOperationResponse] = []

    public init() {}
}
