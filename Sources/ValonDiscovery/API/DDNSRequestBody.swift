import Foundation

/// `POST /api/endpoint`: `{"pubkey": "<base64>", "lan_endpoint": "192.168.1.50:51820", "alias": "client01"}`
/// (docs/ARCHITECTURE.md §3). `alias` may be left out; when present it must be the peer's registered alias.
struct EndpointUpdateBody: Decodable, Sendable {
    var pubkey: String
    var lanEndpoint: String
    var alias: String?

    enum CodingKeys: String, CodingKey {
        case pubkey
        case lanEndpoint = "lan_endpoint"
        case alias
    }
}

/// `DELETE /api/endpoint/delete`: `{"pubkey": "<base64>"}`, optionally with the alias.
struct EndpointDeletionBody: Decodable, Sendable {
    var pubkey: String
    var alias: String?
}

/// `POST /api/relay`: `{"pubkey": "<own base64 key>", "peer": "<the other peer's base64 key>"}`
/// (docs/ARCHITECTURE.md §10).
struct RelayRequestBody: Decodable, Sendable {
    var pubkey: String
    var peer: String
}

enum DDNSBodyDecoder {
    /// Decodes a JSON object of type `Body`, or refuses it with 400 naming what is wrong.
    static func decode<Body: Decodable>(_ type: Body.Type, from bytes: [UInt8]) throws(DDNSError) -> Body {
        guard !bytes.isEmpty else { throw DDNSError(.malformedRequest, "the request has no body; a JSON object is expected") }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw DDNSError(.malformedRequest, "malformed JSON: the field \"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw DDNSError(.malformedRequest, "malformed JSON: \(fieldName(context)) has the wrong type; a string is expected")
        } catch let DecodingError.valueNotFound(_, context) {
            throw DDNSError(.malformedRequest, "malformed JSON: \(fieldName(context)) is null; a string is expected")
        } catch {
            throw DDNSError(.malformedRequest, "malformed JSON: the body is not a JSON object")
        }
    }

    private static func fieldName(_ context: DecodingError.Context) -> String {
        context.codingPath.last.map { "the field \"\($0.stringValue)\"" } ?? "the body"
    }
}
