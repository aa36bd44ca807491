import CCurl
import Foundation

/// One etcd endpoint: its base URL and its libcurl handles (one keep-alive connection each,
/// HTTP/1.1 for the gateway and HTTP/2 for gRPC). Requests to one endpoint run one after
/// another (an ``AsyncGate``).
///
/// The calling thread sends a request with libcurl's non-blocking multi interface
/// (``CurlTransfer``); the rest of the answer is awaited on ``BlockingPool``, so a slow or
/// unreachable etcd never holds one of Swift's cooperative threads. Sending first means the
/// hand-off to that thread overlaps etcd's work instead of preceding it.
final class EtcdConnection: @unchecked Sendable {
    /// The base URL, `http://127.0.0.1:2379`.
    let endpoint: String
    private let tls: EtcdTLS?
    private let connectTimeout: Duration
    private let gate = AsyncGate()
    /// Only touched while holding `gate`: the HTTP/1.1 handle for the gateway, the HTTP/2 one for gRPC.
    private var handle: CurlHandle?
    private var grpcHandle: CurlHandle?

    init(endpoint: String, tls: EtcdTLS?, connectTimeout: Duration) {
        self.endpoint = endpoint
        self.tls = tls
        self.connectTimeout = connectTimeout
    }

    /// POSTs a JSON body to `path` and returns the body of a 200 answer. Any other answer
    /// becomes an ``EtcdError`` naming this endpoint: `.server` with etcd's gRPC code and
    /// message, `.http`, `.connection` or `.timeout`.
    func post(path: String, body: [UInt8], token: String?, timeout: Duration, what: String) async throws(EtcdError) -> [UInt8] {
        let response = try await exchange(http2: false, path: path, body: body, headers: Self.headers(token: token),
                                          timeout: timeout, what: what)
        guard response.status == 200 else {
            throw Self.error(status: response.status, body: response.body, what: what, endpoint: endpoint)
        }
        return response.body
    }

    /// The headers of every request: JSON, no `Expect: 100-continue` round trip, the token.
    static func headers(token: String?) -> [String] {
        var headers = ["Content-Type: application/json", "Expect:"]
        if let token { headers.append("Authorization: \(token)") }
        return headers
    }

    /// Calls a unary gRPC method (`/etcdserverpb.KV/Range`) over HTTP/2 and returns the
    /// answer's message bytes. A `grpc-status` other than 0 becomes `.server` with etcd's
    /// code and message, as on the gateway.
    func callGRPC(method: String, message: [UInt8], token: String?, timeout: Duration, what: String) async throws(EtcdError) -> [UInt8] {
        var headers = ["Content-Type: application/grpc", "TE: trailers"]
        if let token { headers.append("token: \(token)") }
        let response = try await exchange(http2: true, path: method, body: GRPCFrame.wrap(message), headers: headers,
                                          timeout: timeout, what: what)
        var status: Int?
        var statusMessage = ""
        for line in response.headers {
            let lower = line.lowercased()
            if lower.hasPrefix("grpc-status:") {
                status = Int(line.dropFirst("grpc-status:".count).trimmingCharacters(in: .whitespaces))
            } else if lower.hasPrefix("grpc-message:") {
                let text = line.dropFirst("grpc-message:".count).trimmingCharacters(in: .whitespaces)
                statusMessage = text.removingPercentEncoding ?? text
            }
        }
        guard response.status == 200, let status else {
            let text = String(decoding: response.body.prefix(512), as: UTF8.self)
            throw EtcdError(.http, "\(what) on \(endpoint) (gRPC)", endpoint: endpoint,
                            cause: .http(status: response.status, body: text))
        }
        guard status == 0 else {
            throw Self.serverError(grpcCode: status, message: statusMessage, httpStatus: 200, what: what, endpoint: endpoint)
        }
        return response.body
    }

    /// Runs one POST to `path` on the handle for `http2` while holding the gate: sent on this
    /// thread (one non-blocking `curl_multi_perform`, which may already finish it), the rest
    /// on ``BlockingPool``.
    private func exchange(
        http2: Bool, path: String, body: [UInt8], headers: [String], timeout: Duration, what: String
    ) async throws(EtcdError) -> CurlHandle.Response {
        await gate.enter()
        defer { gate.leave() }
        let curl = try curlHandle(http2: http2)
        let transfer = CurlTransfer(curl, method: "POST", url: endpoint + path, body: body, headers: headers, timeout: timeout)
        var outcome = transfer.run(for: .zero)
        if outcome == nil {
            let slow = SlowTransfer(transfer: transfer)
            outcome = await runBlocking { slow.transfer.run(for: nil) }
        }
        switch outcome {
        case .success(let response)?: return response
        case .failure(let failure)?: throw Self.error(for: failure, what: what, endpoint: endpoint)
        case nil: throw EtcdError(.connection, "\(what) on \(endpoint): the transfer did not finish", endpoint: endpoint)
        }
    }

    /// A transfer handed to a pool thread; the gate keeps every other thread off it.
    private struct SlowTransfer: @unchecked Sendable {
        let transfer: CurlTransfer
    }

    /// The endpoint's handle for the gateway (HTTP/1.1) or for gRPC (HTTP/2), made on first
    /// use and kept for its connection. Called while holding the gate.
    private func curlHandle(http2: Bool) throws(EtcdError) -> CurlHandle {
        if let existing = http2 ? grpcHandle : handle { return existing }
        let made = try CurlHandle(target: endpoint, tls: tls, connectTimeout: connectTimeout, http2: http2)
        if http2 { grpcHandle = made } else { handle = made }
        return made
    }

    /// A libcurl failure as an ``EtcdError``.
    static func error(for failure: CurlHandle.Failure, what: String, endpoint: String) -> EtcdError {
        let code: EtcdError.Code
        if failure.aborted {
            code = .cancelled
        } else if failure.timedOut {
            code = .timeout
        } else if failure.code == Int(CURLE_HTTP2.rawValue) || failure.code == Int(CURLE_HTTP2_STREAM.rawValue) {
            // The connection works but HTTP/2 does not: a protocol problem, not an outage
            // (ranges then fall back to the gateway).
            code = .http
        } else {
            code = .connection
        }
        return EtcdError(code, "\(what) on \(endpoint)", endpoint: endpoint,
                         cause: .curl(code: failure.code, detail: failure.detail))
    }

    /// A non-200 answer as an ``EtcdError``: the gateway's error body when there is one.
    static func error(status: Int, body: [UInt8], what: String, endpoint: String) -> EtcdError {
        if let wire = try? JSONDecoder().decode(WireErrorBody.self, from: Data(body)), let code = wire.code {
            let message = wire.message ?? wire.error ?? ""
            return serverError(grpcCode: code, message: message, httpStatus: status, what: what, endpoint: endpoint)
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self)
        return EtcdError(.http, "\(what) on \(endpoint)", endpoint: endpoint, cause: .http(status: status, body: text))
    }

    /// etcd's gRPC status as an ``EtcdError``; refused credentials and permissions are `.authentication`.
    static func serverError(grpcCode: Int, message: String, httpStatus: Int, what: String, endpoint: String) -> EtcdError {
        let authentication = grpcCode == EtcdError.GRPCCode.unauthenticated
            || grpcCode == EtcdError.GRPCCode.permissionDenied
            || message.contains("authentication failed") || message.contains("user name is empty")
        return EtcdError(authentication ? .authentication : .server, "\(what) on \(endpoint)", endpoint: endpoint,
                         cause: .etcd(grpcCode: grpcCode, message: message, httpStatus: httpStatus))
    }
}
