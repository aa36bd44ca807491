extension DNSError.Code {
    /// No reply came from the server in time, after every try.
    public static let timeout = Self(rawValue: "timeout")
    /// The server answered REFUSED or NOTAUTH (RFC 1035 §4.1.1, RFC 8945 §5.3).
    public static let refused = Self(rawValue: "refused")
    /// The server answered SERVFAIL or another error code.
    public static let serverFailure = Self(rawValue: "serverFailure")
    /// The only replies that came do not decode or do not answer the query.
    public static let malformedReply = Self(rawValue: "malformedReply")
    /// The reply is NXDOMAIN or holds no record of the type that was required (NODATA).
    public static let noAnswer = Self(rawValue: "noAnswer")
    /// A socket call failed or the server closed the connection; `cause` holds the error.
    public static let network = Self(rawValue: "network")
    /// A zone transfer broke the rules of RFC 5936 or the configured limits.
    public static let transferFailed = Self(rawValue: "transferFailed")
    /// The awaiting task was cancelled.
    public static let cancelled = Self(rawValue: "cancelled")
}

extension DNSResolver {
    /// No usable reply to `query` after `tries`; when replies with its ID came but were
    /// unusable, the error says why (``DNSError/Code/malformedReply``).
    static func timeoutError(_ query: DNSQueryPipeline.Query, server: Endpoint, over transport: String,
                             tries: Int) -> DNSError {
        let asked = "\(query.question.name) \(query.question.type)"
        if let problem = query.problem {
            return DNSError(
                .malformedReply,
                "no usable \(transport) reply from \(server) for \(asked) after \(tries) tries: \(problem.message)",
                offset: problem.offset)
        }
        return DNSError(.timeout, "no \(transport) reply from \(server) for \(asked) after \(tries) tries")
    }

    static func networkError(_ cause: SystemError, server: Endpoint, over transport: String) -> DNSError {
        DNSError(.network, "\(transport) exchange with \(server) failed", cause: cause)
    }

    static func cancelledError(server: Endpoint) -> DNSError {
        DNSError(.cancelled, "query to \(server) cancelled")
    }
}

extension DNSMessage {
    /// Throws unless the reply's code is NOERROR or NXDOMAIN (RFC 1035 §4.1.1).
    func checkResponseCode(for question: DNSQuestion, from server: Endpoint) throws(DNSError) {
        let code = responseCode
        if code == .noError || code == .nxDomain { return }
        let what = "\(server) answered \(code) for \(question.name) \(question.type)"
        throw DNSError(code == .refused || code == .notAuth ? .refused : .serverFailure, what)
    }
}
