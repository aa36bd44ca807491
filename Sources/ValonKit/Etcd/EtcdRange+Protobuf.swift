// etcd's Range call in protobuf form (api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto):
// the gRPC path `/etcdserverpb.KV/Range` serves large ranges several times faster than the
// JSON gateway, which spends most of its time writing JSON.

extension EtcdRangeRequest {
    /// RangeRequest: key 1, range_end 2, limit 3, revision 4, serializable 7, keys_only 8, count_only 9.
    var protobuf: [UInt8] {
        var writer = ProtobufWriter()
        writer.field(1, bytes: key)
        writer.field(2, bytes: rangeEnd)
        writer.field(3, int64: limit)
        writer.field(4, int64: revision)
        writer.field(7, bool: serializable)
        writer.field(8, bool: keysOnly)
        writer.field(9, bool: countOnly)
        return writer.bytes
    }
}

extension EtcdRangeResponse {
    /// RangeResponse: header 1, kvs 2 (repeated), more 3, count 4.
    init(protobuf bytes: [UInt8], range: Range<Int>) throws(ProtobufError) {
        self.init()
        var reader = ProtobufReader(bytes, range: range)
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, 2): header = try EtcdResponseHeader(protobuf: bytes, range: try reader.lengthDelimited())
            case (2, 2): kvs.append(try EtcdKeyValue(protobuf: bytes, range: try reader.lengthDelimited()))
            case (3, 0): more = try reader.varint() != 0
            case (4, 0): count = try reader.int64()
            default: try reader.skip(wireType: wireType)
            }
        }
    }
}

extension EtcdResponseHeader {
    /// ResponseHeader: cluster_id 1, member_id 2, revision 3, raft_term 4.
    init(protobuf bytes: [UInt8], range: Range<Int>) throws(ProtobufError) {
        self.init()
        var reader = ProtobufReader(bytes, range: range)
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, 0): clusterID = try reader.varint()
            case (2, 0): memberID = try reader.varint()
            case (3, 0): revision = try reader.int64()
            case (4, 0): raftTerm = try reader.varint()
            default: try reader.skip(wireType: wireType)
            }
        }
    }
}

extension EtcdKeyValue {
    /// KeyValue: key 1, create_revision 2, mod_revision 3, version 4, value 5, lease 6.
    init(protobuf bytes: [UInt8], range: Range<Int>) throws(ProtobufError) {
        self.init(key: [], value: [])
        var reader = ProtobufReader(bytes, range: range)
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, 2): key = Array(bytes[try reader.lengthDelimited()])
            case (2, 0): createRevision = try reader.int64()
            case (3, 0): modRevision = try reader.int64()
            case (4, 0): version = try reader.int64()
            case (5, 2): value = Array(bytes[try reader.lengthDelimited()])
            case (6, 0): lease = try reader.int64()
            default: try reader.skip(wireType: wireType)
            }
        }
    }
}

/// gRPC's message framing over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md): a compressed flag
/// byte, a 4-byte big-endian length, then the message.
enum GRPCFrame {
    static func wrap(_ message: [UInt8]) -> [UInt8] {
        let length = UInt32(message.count)
        return [0, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)] + message
    }

    /// The byte range of the first (and for a unary call, only) message.
    static func unwrap(_ body: [UInt8]) throws(ProtobufError) -> Range<Int> {
        guard body.count >= 5 else { throw ProtobufError(offset: 0, reason: "gRPC frame shorter than its 5-byte prefix") }
        guard body[0] == 0 else { throw ProtobufError(offset: 0, reason: "compressed gRPC message (not asked for)") }
        let length = body[1...4].reduce(0) { $0 << 8 | Int($1) }
        guard body.count - 5 >= length else {
            throw ProtobufError(offset: 5, reason: "gRPC message of \(length) bytes, only \(body.count - 5) received")
        }
        return 5..<(5 + length)
    }
}
