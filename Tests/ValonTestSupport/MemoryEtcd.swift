import Synchronization
import ValonKit

/// An etcd key-value store in memory, with etcd's semantics for what the registry uses
/// (`RegistryStore`): one revision counter that every write transaction advances once; per
/// key the create and mod revisions and the version; ranges by key, key range or prefix with
/// `limit` and `count`; transactions whose compares see a missing key as version, create and
/// mod revision 0 and an empty range as one such key (etcd's `applyCompare`), and whose
/// operations run in order, each seeing the writes before it.
///
/// The registry's logic is tested against it without etcd; the registry contract suite
/// runs the same cases against it and a real etcd member, so the model cannot drift.
public final class MemoryEtcd: RegistryStore {
    struct State {
        var revision: Int64 = 1
        var keys: [[UInt8]: EtcdKeyValue] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The current revision.
    public var revision: Int64 { state.withLock { $0.revision } }

    public func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse {
        try state.withLock { (state: inout State) throws(EtcdError) in
            guard request.revision == 0 || request.revision == state.revision else {
                throw EtcdError(.configuration, "MemoryEtcd keeps no history (asked for revision \(request.revision))")
            }
            return Self.range(request, in: state)
        }
    }

    public func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse {
        state.withLock { state in
            let succeeded = request.compare.allSatisfy { Self.holds($0, in: state) }
            let operations = succeeded ? request.success : request.failure
            let writes = operations.contains { if case .range = $0 { false } else { true } }
            let revision = writes ? state.revision + 1 : state.revision
            var response = EtcdTxnResponse()
            response.succeeded = succeeded
            for operation in operations {
                switch operation {
                case .range(let range):
                    response.responses.append(.range(Self.range(range, in: state)))
                case .put(let put):
                    var kv = state.keys[put.key] ?? EtcdKeyValue(key: put.key, value: [])
                    var answer = EtcdPutResponse()
                    if put.prevKV, kv.version > 0 { answer.prevKV = kv }
                    if kv.version == 0 { kv.createRevision = revision }
                    kv.value = put.value
                    kv.modRevision = revision
                    kv.version += 1
                    kv.lease = put.lease
                    state.keys[put.key] = kv
                    answer.header.revision = revision
                    response.responses.append(.put(answer))
                case .delete(let delete):
                    let doomed = Self.matching(delete.key, delete.rangeEnd, in: state)
                    var answer = EtcdDeleteResponse()
                    answer.deleted = Int64(doomed.count)
                    if delete.prevKV { answer.prevKVs = doomed }
                    for kv in doomed { state.keys[kv.key] = nil }
                    answer.header.revision = revision
                    response.responses.append(.delete(answer))
                }
            }
            state.revision = revision
            response.header.revision = revision
            return response
        }
    }

    // MARK: - etcd's rules

    static func range(_ request: EtcdRangeRequest, in state: State) -> EtcdRangeResponse {
        let all = matching(request.key, request.rangeEnd, in: state)
        var response = EtcdRangeResponse()
        response.header.revision = state.revision
        response.count = Int64(all.count)
        guard !request.countOnly else { return response }
        let limited = request.limit > 0 ? Array(all.prefix(Int(request.limit))) : all
        response.more = limited.count < all.count
        response.kvs = request.keysOnly ? limited.map { kv in
            var bare = kv
            bare.value = []
            return bare
        } : limited
        return response
    }

    /// The pairs of `key` alone (empty `end`), of every key ≥ `key` (`end` `[0]`), or of
    /// `key` ≤ k < `end`, in key order.
    static func matching(_ key: [UInt8], _ end: [UInt8], in state: State) -> [EtcdKeyValue] {
        if end.isEmpty { return state.keys[key].map { [$0] } ?? [] }
        return state.keys.values
            .filter { !$0.key.lexicographicallyPrecedes(key) && (end == [0] || $0.key.lexicographicallyPrecedes(end)) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    static func holds(_ compare: EtcdCompare, in state: State) -> Bool {
        var kvs = matching(compare.key, compare.rangeEnd, in: state)
        if kvs.isEmpty {
            if case .value = compare.target { return false }
            kvs = [EtcdKeyValue(key: compare.key, value: [])]
        }
        return kvs.allSatisfy { kv in
            switch compare.target {
            case .value(let value): return order(kv.value, value, compare.result)
            case .version(let version): return order(kv.version, version, compare.result)
            case .createRevision(let revision): return order(kv.createRevision, revision, compare.result)
            case .modRevision(let revision): return order(kv.modRevision, revision, compare.result)
            case .lease(let lease): return order(kv.lease, lease, compare.result)
            }
        }
    }

    static func order(_ lhs: Int64, _ rhs: Int64, _ result: EtcdCompare.Result) -> Bool {
        switch result {
        case .equal: lhs == rhs
        case .notEqual: lhs != rhs
        case .greater: lhs > rhs
        case .less: lhs < rhs
        }
    }

    static func order(_ lhs: [UInt8], _ rhs: [UInt8], _ result: EtcdCompare.Result) -> Bool {
        switch result {
        case .equal: lhs == rhs
        case .notEqual: lhs != rhs
        case .greater: rhs.lexicographicallyPrecedes(lhs)
        case .less: lhs.lexicographicallyPrecedes(rhs)
        }
    }
}
