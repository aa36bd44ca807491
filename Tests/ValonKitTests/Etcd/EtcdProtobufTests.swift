import Testing
@testable import ValonKit

/// The protobuf form of etcd's Range call, against bytes written out by hand from
/// api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto.
@Suite("etcd Range in protobuf")
struct EtcdProtobufTests {
    @Test("a prefix range request")
    func request() {
        var request = EtcdRangeRequest.prefix("/v/")
        request.limit = 300
        request.keysOnly = true
        #expect(request.protobuf == [
            0x0a, 0x03, 0x2f, 0x76, 0x2f,   // 1 key "/v/"
            0x12, 0x03, 0x2f, 0x76, 0x30,   // 2 range_end "/v0"
            0x18, 0xac, 0x02,               // 3 limit 300 (varint)
            0x40, 0x01,                     // 8 keys_only true
        ])
        #expect(EtcdRangeRequest(key: "").protobuf == [])
    }

    @Test("a range response with a header, two keys, more and count")
    func response() throws {
        let kv1: [UInt8] = [
            0x0a, 0x01, 0x61,               // 1 key "a"
            0x10, 0x02,                     // 2 create_revision 2
            0x18, 0x05,                     // 3 mod_revision 5
            0x20, 0x03,                     // 4 version 3
            0x2a, 0x02, 0x68, 0x69,         // 5 value "hi"
            0x30, 0x07,                     // 6 lease 7
        ]
        let kv2: [UInt8] = [0x0a, 0x01, 0x62, 0x60, 0x01]   // key "b", unknown field 12 (skipped)
        let header: [UInt8] = [
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,   // 1 cluster_id 2^64-1
            0x10, 0x2a,                     // 2 member_id 42
            0x18, 0x09,                     // 3 revision 9
            0x20, 0x04,                     // 4 raft_term 4
        ]
        let message: [UInt8] = [0x0a, UInt8(header.count)] + header + [0x12, UInt8(kv1.count)] + kv1
            + [0x12, UInt8(kv2.count)] + kv2 + [0x18, 0x01, 0x20, 0x05]   // 3 more, 4 count 5
        let body = GRPCFrame.wrap(message)
        #expect(Array(body.prefix(5)) == [0, 0, 0, 0, UInt8(message.count)])
        let response = try EtcdRangeResponse(protobuf: body, range: try GRPCFrame.unwrap(body))
        #expect(response.header.clusterID == UInt64.max)
        #expect(response.header.memberID == 42)
        #expect(response.header.revision == 9)
        #expect(response.header.raftTerm == 4)
        #expect(response.more)
        #expect(response.count == 5)
        #expect(response.kvs.count == 2)
        let first = response.kvs[0]
        #expect(first.keyString == "a" && first.valueString == "hi")
        #expect([first.createRevision, first.modRevision, first.version, first.lease] == [2, 5, 3, 7])
        #expect(response.kvs[1].keyString == "b" && response.kvs[1].value.isEmpty)
    }

    @Test("damaged messages are refused with a reason", arguments: [
        [0x0a, 0x05, 0x61] as [UInt8],               // length past the end
        [0x18, 0xff, 0xff],                           // truncated varint
        [0x0b],                                       // wire type 3 (groups) unsupported
        [0x00, 0x01],                                 // field number 0
        [0x18] + [UInt8](repeating: 0xff, count: 10) + [0x01],   // varint longer than 64 bits
    ])
    func damaged(message: [UInt8]) {
        let body = GRPCFrame.wrap(message)
        #expect(throws: ProtobufError.self) { try EtcdRangeResponse(protobuf: body, range: try GRPCFrame.unwrap(body)) }
    }

    @Test("gRPC frames: too short, compressed, truncated")
    func frames() {
        #expect(throws: ProtobufError.self) { try GRPCFrame.unwrap([0, 0, 0]) }
        #expect(throws: ProtobufError.self) { try GRPCFrame.unwrap([1, 0, 0, 0, 1, 0]) }
        #expect(throws: ProtobufError.self) { try GRPCFrame.unwrap([0, 0, 0, 0, 9, 1, 2]) }
        #expect((try? GRPCFrame.unwrap([0, 0, 0, 0, 2, 7, 8, 9])) == 5..<7)
    }
}
