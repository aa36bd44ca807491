import Foundation

// The JSON of etcd's gRPC gateway (etcd 3.4, `/v3/...`): protobuf's JSON mapping with the
// original field names. 64-bit integers are JSON strings, `bytes` fields are base64, and
// fields equal to their default (0, false, empty) are left out.

/// A 64-bit integer that the gateway writes as a JSON string (`"revision": "42"`);
/// a plain JSON number is accepted too.
struct WireInteger<Value: FixedWidthInteger & Codable & Sendable>: Codable, Sendable {
    var value: Value

    init(_ value: Value) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let parsed = Value(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an integer: \"\(text)\"")
            }
            value = parsed
        } else {
            value = try container.decode(Value.self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

typealias WireInt64 = WireInteger<Int64>
typealias WireUInt64 = WireInteger<UInt64>

struct WireHeader: Codable {
    var cluster_id: WireUInt64?
    var member_id: WireUInt64?
    var revision: WireInt64?
    var raft_term: WireUInt64?
}

struct WireKeyValue: Codable {
    var key: Data?
    var create_revision: WireInt64?
    var mod_revision: WireInt64?
    var version: WireInt64?
    var value: Data?
    var lease: WireInt64?
}

struct WireRangeRequest: Codable {
    var key: Data
    var range_end: Data?
    var limit: WireInt64?
    var revision: WireInt64?
    var serializable: Bool?
    var keys_only: Bool?
    var count_only: Bool?
}

struct WireRangeResponse: Codable {
    var header: WireHeader?
    var kvs: [WireKeyValue]?
    var more: Bool?
    var count: WireInt64?
}

struct WirePutRequest: Codable {
    var key: Data
    var value: Data
    var lease: WireInt64?
    var prev_kv: Bool?
}

struct WirePutResponse: Codable {
    var header: WireHeader?
    var prev_kv: WireKeyValue?
}

struct WireDeleteRangeRequest: Codable {
    var key: Data
    var range_end: Data?
    var prev_kv: Bool?
}

struct WireDeleteRangeResponse: Codable {
    var header: WireHeader?
    var deleted: WireInt64?
    var prev_kvs: [WireKeyValue]?
}

struct WireCompare: Codable {
    var result: String
    var target: String
    var key: Data
    var range_end: Data?
    var version: WireInt64?
    var create_revision: WireInt64?
    var mod_revision: WireInt64?
    var value: Data?
    var lease: WireInt64?
}

struct WireRequestOp: Codable {
    var request_range: WireRangeRequest?
    var request_put: WirePutRequest?
    var request_delete_range: WireDeleteRangeRequest?
}

struct WireResponseOp: Codable {
    var response_range: WireRangeResponse?
    var response_put: WirePutResponse?
    var response_delete_range: WireDeleteRangeResponse?
}

struct WireTxnRequest: Codable {
    var compare: [WireCompare]
    var success: [WireRequestOp]
    var failure: [WireRequestOp]
}

struct WireTxnResponse: Codable {
    var header: WireHeader?
    var succeeded: Bool?
    var responses: [WireResponseOp]?
}

struct WireLeaseGrantRequest: Codable {
    var TTL: WireInt64
    var ID: WireInt64?
}

struct WireLeaseResponse: Codable {
    var header: WireHeader?
    var ID: WireInt64?
    var TTL: WireInt64?
    var error: String?
}

struct WireLeaseID: Codable {
    var ID: WireInt64
}

struct WireHeaderOnly: Codable {
    var header: WireHeader?
}

struct WireStatusResponse: Codable {
    var header: WireHeader?
    var version: String?
    var dbSize: WireInt64?
    var leader: WireUInt64?
    var raftIndex: WireUInt64?
    var raftTerm: WireUInt64?
    var errors: [String]?
    var isLearner: Bool?
}

struct WireMember: Codable {
    var ID: WireUInt64?
    var name: String?
    var peerURLs: [String]?
    var clientURLs: [String]?
    var isLearner: Bool?
}

struct WireMemberListResponse: Codable {
    var header: WireHeader?
    var members: [WireMember]?
}

struct WireAuthenticateRequest: Codable {
    var name: String
    var password: String
}

struct WireAuthenticateResponse: Codable {
    var header: WireHeader?
    var token: String?
}

struct WireWatchCreateRequest: Codable {
    var key: Data
    var range_end: Data?
    var start_revision: WireInt64?
    var progress_notify: Bool?
    var prev_kv: Bool?
}

struct WireWatchRequest: Codable {
    var create_request: WireWatchCreateRequest
}

struct WireEvent: Codable {
    var type: String?
    var kv: WireKeyValue?
    var prev_kv: WireKeyValue?
}

struct WireWatchResponse: Codable {
    var header: WireHeader?
    var watch_id: WireInt64?
    var created: Bool?
    var canceled: Bool?
    var compact_revision: WireInt64?
    var cancel_reason: String?
    var events: [WireEvent]?
}

/// An error inside a gateway stream: `{"error": {"grpc_code": 14, "message": "..."}}`.
struct WireStreamError: Codable {
    var grpc_code: Int?
    var http_code: Int?
    var message: String?
    var http_status: String?
}

/// One message of a gateway stream (watch, lease keep-alive): a result or an error.
struct WireStreamMessage<Result: Codable>: Codable {
    var result: Result?
    var error: WireStreamError?
}

/// The body of a failed unary call: `{"error": "...", "message": "...", "code": 9}`.
struct WireErrorBody: Codable {
    var error: String?
    var message: String?
    var code: Int?
}
