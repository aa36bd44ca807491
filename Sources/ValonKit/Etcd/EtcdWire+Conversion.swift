import Foundation

// Conversions between the public request/response types and the gateway's JSON shapes.

extension EtcdResponseHeader {
    init(_ wire: WireHeader?) {
        self.init()
        clusterID = wire?.cluster_id?.value ?? 0
        memberID = wire?.member_id?.value ?? 0
        revision = wire?.revision?.value ?? 0
        raftTerm = wire?.raft_term?.value ?? 0
    }
}

extension EtcdKeyValue {
    init(_ wire: WireKeyValue) {
        self.init(key: wire.key.map(Array.init) ?? [], value: wire.value.map(Array.init) ?? [])
        createRevision = wire.create_revision?.value ?? 0
        modRevision = wire.mod_revision?.value ?? 0
        version = wire.version?.value ?? 0
        lease = wire.lease?.value ?? 0
    }
}

/// `nil` for a default value, so the JSON leaves it out as protobuf's mapping does.
private func nonZero(_ value: Int64) -> WireInt64? { value == 0 ? nil : WireInt64(value) }
private func nonEmpty(_ bytes: [UInt8]) -> Data? { bytes.isEmpty ? nil : Data(bytes) }
private func trueOrNil(_ flag: Bool) -> Bool? { flag ? true : nil }

extension EtcdRangeRequest {
    var wire: WireRangeRequest {
        WireRangeRequest(key: Data(key), range_end: nonEmpty(rangeEnd), limit: nonZero(limit),
                         revision: nonZero(revision), serializable: trueOrNil(serializable),
                         keys_only: trueOrNil(keysOnly), count_only: trueOrNil(countOnly))
    }
}

extension EtcdRangeResponse {
    init(_ wire: WireRangeResponse) {
        self.init()
        header = EtcdResponseHeader(wire.header)
        kvs = (wire.kvs ?? []).map(EtcdKeyValue.init)
        more = wire.more ?? false
        count = wire.count?.value ?? 0
    }
}

extension EtcdPutRequest {
    var wire: WirePutRequest {
        WirePutRequest(key: Data(key), value: Data(value), lease: nonZero(lease), prev_kv: trueOrNil(prevKV))
    }
}

extension EtcdPutResponse {
    init(_ wire: WirePutResponse) {
        self.init()
        header = EtcdResponseHeader(wire.header)
        prevKV = wire.prev_kv.map(EtcdKeyValue.init)
    }
}

extension EtcdDeleteRequest {
    var wire: WireDeleteRangeRequest {
        WireDeleteRangeRequest(key: Data(key), range_end: nonEmpty(rangeEnd), prev_kv: trueOrNil(prevKV))
    }
}

extension EtcdDeleteResponse {
    init(_ wire: WireDeleteRangeResponse) {
        self.init()
        header = EtcdResponseHeader(wire.header)
        deleted = wire.deleted?.value ?? 0
        prevKVs = (wire.prev_kvs ?? []).map(EtcdKeyValue.init)
    }
}

extension EtcdCompare {
    var wire: WireCompare {
        var compare = WireCompare(result: result.rawValue, target: "", key: Data(key), range_end: nonEmpty(rangeEnd))
        // A compare's operand is always written, even when it is 0: the target names it.
        switch target {
        case .value(let value):
            compare.target = "VALUE"
            compare.value = Data(value)
        case .version(let version):
            compare.target = "VERSION"
            compare.version = WireInt64(version)
        case .createRevision(let revision):
            compare.target = "CREATE"
            compare.create_revision = WireInt64(revision)
        case .modRevision(let revision):
            compare.target = "MOD"
            compare.mod_revision = WireInt64(revision)
        case .lease(let lease):
            compare.target = "LEASE"
            compare.lease = WireInt64(lease)
        }
        return compare
    }
}

extension EtcdOperation {
    var wire: WireRequestOp {
        switch self {
        case .range(let request): WireRequestOp(request_range: request.wire)
        case .put(let request): WireRequestOp(request_put: request.wire)
        case .delete(let request): WireRequestOp(request_delete_range: request.wire)
        }
    }
}

extension EtcdTxnRequest {
    var wire: WireTxnRequest {
        WireTxnRequest(compare: compare.map(\.wire), success: success.map(\.wire), failure: failure.map(\.wire))
    }
}

extension EtcdTxnResponse {
    init(_ wire: WireTxnResponse) throws(EtcdError) {
        self.init()
        header = EtcdResponseHeader(wire.header)
        succeeded = wire.succeeded ?? false
        responses = []
        for op in wire.responses ?? [] {
            if let range = op.response_range {
                responses.append(.range(EtcdRangeResponse(range)))
            } else if let put = op.response_put {
                responses.append(.put(EtcdPutResponse(put)))
            } else if let delete = op.response_delete_range {
                responses.append(.delete(EtcdDeleteResponse(delete)))
            } else {
                throw EtcdError(.decoding, "txn response holds an operation response of an unknown kind")
            }
        }
    }
}

extension EtcdStatus {
    init(_ wire: WireStatusResponse) {
        self.init()
        header = EtcdResponseHeader(wire.header)
        version = wire.version ?? ""
        dbSize = wire.dbSize?.value ?? 0
        leader = wire.leader?.value ?? 0
        raftIndex = wire.raftIndex?.value ?? 0
        raftTerm = wire.raftTerm?.value ?? 0
        isLearner = wire.isLearner ?? false
        errors = wire.errors ?? []
    }
}

extension EtcdMember {
    init(_ wire: WireMember) {
        self.init(id: wire.ID?.value ?? 0, name: wire.name ?? "", peerURLs: wire.peerURLs ?? [],
                  clientURLs: wire.clientURLs ?? [], isLearner: wire.isLearner ?? false)
    }
}

extension EtcdEvent {
    init(_ wire: WireEvent) throws(EtcdError) {
        let kind: Kind
        switch wire.type ?? "PUT" {
        case "PUT": kind = .put
        case "DELETE": kind = .delete
        case let other: throw EtcdError(.decoding, "watch event of unknown type \"\(other)\"")
        }
        guard let kv = wire.kv else { throw EtcdError(.decoding, "watch event without a key") }
        self.init(kind: kind, kv: EtcdKeyValue(kv), prevKV: wire.prev_kv.map(EtcdKeyValue.init))
    }
}
