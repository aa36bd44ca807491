import Foundation
import Testing
@testable import ValonKit

/// The gateway's JSON as etcd 3.4.23 wrote it (recorded with curl), decoded without etcd.
@Suite("etcd gateway JSON")
struct EtcdGatewayJSONTests {
    @Test("a range answer: 64-bit integers as strings, base64 bytes, defaults left out")
    func range() throws {
        let json = """
        {"header":{"cluster_id":"324952591200643719","member_id":"3319814642761637952","revision":"2","raft_term":"2"},\
        "kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}
        """
        let response = EtcdRangeResponse(try JSONDecoder().decode(WireRangeResponse.self, from: Data(json.utf8)))
        #expect(response.header.clusterID == 324952591200643719)
        #expect(response.header.revision == 2)
        #expect(response.count == 1)
        #expect(!response.more)
        #expect(response.kvs.map(\.keyString) == ["foo"])
        #expect(response.kvs.map(\.valueString) == ["bar"])
        #expect(response.kvs.first?.lease == 0)
        let empty = EtcdRangeResponse(try JSONDecoder().decode(WireRangeResponse.self, from: Data(#"{"header":{"revision":"7"}}"#.utf8)))
        #expect(empty.kvs.isEmpty && empty.count == 0 && empty.header.revision == 7)
    }

    @Test("a failed txn omits `succeeded`")
    func txn() throws {
        let json = #"{"header":{"revision":"2"},"responses":[{"response_range":{"header":{"revision":"2"},"kvs":[{"key":"Zm9v","value":"YmFy"}],"count":"1"}}]}"#
        let response = try EtcdTxnResponse(try JSONDecoder().decode(WireTxnResponse.self, from: Data(json.utf8)))
        #expect(!response.succeeded)
        #expect(response.responses.first?.range?.kvs.first?.valueString == "bar")
    }

    @Test("malformed integers and bytes are decoding errors", arguments: [
        #"{"header":{"revision":"two"}}"#, #"{"kvs":[{"key":"!!!"}]}"#, #"{"count":true}"#,
    ])
    func malformed(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WireRangeResponse.self, from: Data(json.utf8)) }
    }

    @Test("requests: int64 as strings, defaults left out, compares always carry their operand")
    func requests() throws {
        let txn = EtcdTxnRequest(compare: [.absent("/a"), EtcdCompare(key: "/b", .modRevision(5), .less)],
                                 success: [.put(EtcdPutRequest(key: "/a", value: "1"))])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(txn.wire), as: UTF8.self)
        #expect(text == #"{"compare":[{"key":"L2E=","result":"EQUAL","target":"VERSION","version":"0"},"# +
            #"{"key":"L2I=","mod_revision":"5","result":"LESS","target":"MOD"}],"failure":[],"# +
            #""success":[{"request_put":{"key":"L2E=","value":"MQ=="}}]}"#)
    }

    @Test("error bodies become typed errors", arguments: [
        (400, #"{"error":"bad","message":"etcdserver: key is not provided","code":3}"#, EtcdError.Code.server, 3),
        (401, #"{"error":"x","message":"etcdserver: invalid auth token","code":16}"#, .authentication, 16),
        (403, #"{"message":"etcdserver: permission denied","code":7}"#, .authentication, 7),
        (503, #"{"message":"etcdserver: leader changed","code":14}"#, .server, 14),
        (404, "404 page not found", .http, nil),
        (502, "<html>bad gateway</html>", .http, nil),
    ] as [(Int, String, EtcdError.Code, Int?)])
    func errorBodies(status: Int, body: String, code: EtcdError.Code, grpcCode: Int?) {
        let error = EtcdConnection.error(status: status, body: Array(body.utf8), what: "put /k", endpoint: "http://e:1")
        #expect(error.code == code)
        #expect(error.grpcCode == grpcCode)
        #expect(error.endpoint == "http://e:1")
        #expect(error.description.hasPrefix("put /k on http://e:1: "))
        #expect(error.isRetryableElsewhere == (grpcCode == 14))
    }
}

/// The watch stream's messages, fed line by line as the gateway writes them.
@Suite("etcd watch stream parsing")
struct WatchStreamParserTests {
    struct Parsed {
        var parser: WatchStreamParser
        var state: WatchState
        var batches: [EtcdWatchResponse] = []
        var ended: (any Error)?
    }

    static func parse(_ lines: [String], start: Int64 = 0) async -> Parsed {
        let state = WatchState(next: start)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchResponse.self)
        var parser = WatchStreamParser(what: "watch /w", endpoint: "http://e:1", state: state, continuation: continuation)
        for line in lines where !parser.handle(Array(line.utf8)) { break }
        if !parser.finished { continuation.finish() }
        var parsed = Parsed(parser: parser, state: state)
        do {
            for try await batch in stream { parsed.batches.append(batch) }
        } catch {
            parsed.ended = error
        }
        return parsed
    }

    @Test("created, events and progress notifications move the resume revision")
    func events() async {
        let result = await Self.parse([
            #"{"result":{"header":{"revision":"4"},"created":true}}"#,
            #"{"result":{"header":{"revision":"6"},"events":[{"kv":{"key":"L3cvYQ==","mod_revision":"5","value":"MQ=="}},{"type":"DELETE","kv":{"key":"L3cvYg==","mod_revision":"6"}}]}}"#,
            #"{"result":{"header":{"revision":"9"}}}"#,
        ])
        #expect(result.parser.established)
        #expect(result.state.next == 10)
        #expect(result.batches.count == 1)
        #expect(result.batches.first?.events.map(\.kind) == [.put, .delete])
        #expect(result.batches.first?.events.map(\.kv.keyString) == ["/w/a", "/w/b"])
        #expect(result.ended == nil)
    }

    @Test("a compaction ends the stream with .compacted")
    func compaction() async {
        let result = await Self.parse([
            #"{"result":{"header":{},"created":true}}"#,
            #"{"result":{"header":{},"canceled":true,"compact_revision":"12"}}"#,
        ], start: 3)
        #expect(result.parser.finished)
        #expect((result.ended as? EtcdError)?.code == .compacted)
    }

    @Test("a stream error or a malformed message drops the connection for a retry")
    func failures() async {
        let error = await Self.parse([#"{"error":{"grpc_code":14,"http_code":503,"message":"etcdserver: no leader"}}"#])
        #expect(error.parser.failure?.grpcCode == 14)
        #expect(!error.parser.finished)
        let garbage = await Self.parse(["{not json"])
        #expect(garbage.parser.failure?.code == .decoding)
        let badEvent = await Self.parse([#"{"result":{"events":[{"type":"MOVE","kv":{"key":"YQ=="}}]}}"#])
        #expect(badEvent.parser.failure?.code == .decoding)
    }
}
