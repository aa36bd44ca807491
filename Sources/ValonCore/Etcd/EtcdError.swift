/// A failed etcd request: what failed, on which endpoint, and what etcd (or the
/// connection) answered.
///
/// etcd's JSON gateway (grpc-gateway) answers a failed call with an HTTP status and a
/// body `{"error": "...", "message": "...", "code": N}` where `code` is the gRPC status
/// code (google.rpc.Code: 5 NOT_FOUND, 9 FAILED_PRECONDITION, 11 OUT_OF_RANGE,
/// 14 UNAVAILABLE, 16 UNAUTHENTICATED, ...). Both are kept in ``cause``.
public struct EtcdError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The endpoint could not be reached or the connection broke (refused, reset, TLS).
        case connection
        /// The request did not finish within its timeout.
        case timeout
        /// etcd answered with a gRPC error (see ``EtcdError/grpcCode``).
        case server
        /// An HTTP error without a gRPC error body (a proxy, a wrong URL path).
        case http
        /// The answer was not the JSON that was expected.
        case decoding
        /// Wrong user name or password, or a permission etcd refused.
        case authentication
        /// A watch asked for a revision that etcd has already compacted away.
        case compacted
        /// Every endpoint failed; ``EtcdError/cause`` lists what each one said.
        case unavailable
        /// The configuration cannot work (no endpoints, a URL libcurl refuses).
        case configuration
        /// The caller's task was cancelled.
        case cancelled
    }

    /// The underlying failure.
    public indirect enum Cause: Sendable, CustomStringConvertible {
        /// A libcurl error: its `CURLcode` and libcurl's detailed message.
        case curl(code: Int, detail: String)
        /// An HTTP status with the body as received (cut to 512 bytes).
        case http(status: Int, body: String)
        /// A gRPC status from etcd: the code and etcd's own message.
        case etcd(grpcCode: Int, message: String, httpStatus: Int)
        /// A JSON decoding failure.
        case decoding(String)
        /// One error per endpoint tried, in order.
        case attempts([EtcdError])
        /// etcd has compacted its history up to this revision.
        case compacted(revision: Int64)

        public var description: String {
            switch self {
            case .curl(let code, let detail): "curl error \(code): \(detail)"
            case .http(let status, let body): "HTTP \(status): \(body)"
            case .etcd(let grpcCode, let message, let status): "\(message) (gRPC code \(grpcCode), HTTP \(status))"
            case .decoding(let detail): detail
            case .attempts(let errors): errors.map(\.description).joined(separator: "; ")
            case .compacted(let revision): "compacted up to revision \(revision)"
            }
        }
    }

    public var code: Code
    /// What failed, in words: `"range /valon/peers/ on http://10.0.0.1:2379: ..."`.
    public var message: String
    /// The endpoint (base URL) the failure came from, when there is a single one.
    public var endpoint: String?
    public var cause: Cause?

    public init(_ code: Code, _ message: String, endpoint: String? = nil, cause: Cause? = nil) {
        self.code = code
        self.message = message
        self.endpoint = endpoint
        self.cause = cause
    }

    /// The gRPC status code etcd answered with, if it answered one.
    public var grpcCode: Int? {
        if case .etcd(let code, _, _) = cause { return code }
        return nil
    }

    /// The message etcd answered with, if it answered one (`"etcdserver: ..."`).
    public var serverMessage: String? {
        if case .etcd(_, let message, _) = cause { return message }
        return nil
    }

    public var description: String {
        var text = message
        if let endpoint, !text.contains(endpoint) { text += " [\(endpoint)]" }
        if let cause { text += ": \(cause)" }
        return text
    }
}

extension EtcdError {
    /// gRPC status codes (google.rpc.Code) that etcd uses.
    public enum GRPCCode {
        public static let invalidArgument = 3
        public static let notFound = 5
        public static let permissionDenied = 7
        public static let failedPrecondition = 9
        public static let outOfRange = 11
        public static let unavailable = 14
        public static let unauthenticated = 16
    }
}
