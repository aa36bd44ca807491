/// A failed call to the discovery node's DDNS API (docs/ARCHITECTURE.md §3): the request, the HTTP status
/// when one came, and the server's message (`{"success": false, "message": "…"}`) or
/// libcurl's reason when none did.
public struct DDNSClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, Codable {
        /// No HTTP answer: connection refused, timeout, bad URL (libcurl's error).
        case transport
        /// The API answered with a status other than 2xx (400, 403, 404, 413, 422, 429, 503…).
        case rejected
        /// A 2xx answer whose body is not the API's JSON, or says `"success": false`.
        case badResponse
    }

    public var code: Code
    /// `POST http://100.100.0.1:8053/api/endpoint`.
    public var request: String
    /// The HTTP status, when an answer came.
    public var status: Int?
    /// The server's message, or libcurl's.
    public var message: String
    /// libcurl's error code for ``Code/transport``.
    public var curlCode: Int?

    public init(_ code: Code, request: String, status: Int? = nil, message: String, curlCode: Int? = nil) {
        self.code = code
        self.request = request
        self.status = status
        self.message = message
        self.curlCode = curlCode
    }

    public var description: String {
        switch code {
        case .transport: "\(request): no answer: \(message)"
        case .rejected: "\(request): HTTP \(status ?? 0): \(message)"
        case .badResponse: "\(request): unexpected answer (HTTP \(status ?? 0)): \(message)"
        }
    }
}
