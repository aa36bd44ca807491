import Foundation
import Hummingbird

/// The JSON body of every DDNS answer: `{"success": true|false, "message": "…"}` (docs/ARCHITECTURE.md §3).
struct DDNSReply: Encodable, Sendable {
    var success: Bool
    var message: String
    /// `POST /api/relay` only: the pair's relay port, and whether this request allocated it.
    var port: UInt16? = nil
    var created: Bool? = nil

    static func response(_ status: HTTPResponse.Status, success: Bool, message: String) -> Response {
        json(DDNSReply(success: success, message: message), status: status)
    }

    /// A successful answer carrying `self`.
    var response: Response { Self.json(self, status: .ok) }

    static func response(for error: DDNSError) -> Response {
        var response = response(error.status, success: false, message: error.message)
        if error.code == .unavailable {
            response.headers[.retryAfter] = String(DDNSLimits.retryAfterSeconds)
        }
        return response
    }

    /// `value` as a JSON response with sorted keys.
    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"success":false,"message":"cannot encode the answer"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
