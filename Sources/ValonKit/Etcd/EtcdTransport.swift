import Foundation
import Synchronization

/// Sends gateway calls to a list of endpoints: the last endpoint that worked first, the
/// next one on a connection error or when etcd says it cannot serve (no leader), and a
/// token from `/v3/auth/authenticate` that is fetched again when etcd refuses it.
final class EtcdTransport: Sendable {
    let configuration: EtcdConfiguration
    let connections: [EtcdConnection]

    struct State {
        var preferredIndex = 0
        var token: String?
        var reconnects = 0
    }

    private let state = Mutex(State())

    init(configuration: EtcdConfiguration) throws(EtcdError) {
        guard !configuration.endpoints.isEmpty else {
            throw EtcdError(.configuration, "no etcd endpoints configured")
        }
        for endpoint in configuration.endpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw EtcdError(.configuration, "etcd endpoint \"\(endpoint)\" is not an http:// or https:// URL", endpoint: endpoint)
        }
        self.configuration = configuration
        connections = configuration.endpoints.map {
            EtcdConnection(endpoint: $0, tls: configuration.tls, connectTimeout: configuration.connectTimeout)
        }
    }

    /// The index of the endpoint to try first.
    var preferred: Int { state.withLock { $0.preferredIndex } }

    func prefer(_ index: Int) { state.withLock { $0.preferredIndex = index } }

    var currentToken: String? { state.withLock { $0.token } }

    /// How many times a watch stream of this client broke and was opened again.
    var watchReconnects: Int { state.withLock { $0.reconnects } }

    func countWatchReconnect() { state.withLock { $0.reconnects += 1 } }

    /// Calls `path` with `request` as JSON and decodes the answer as `Response`.
    /// `what` names the operation in errors (`"range /valon/peers/"`).
    func call<Request: Encodable, Response: Decodable>(
        _ path: String, _ request: Request, as _: Response.Type, what: String
    ) async throws(EtcdError) -> Response {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(request))
        } catch {
            throw EtcdError(.configuration, "\(what): cannot encode the request", cause: .decoding("\(error)"))
        }
        let (answer, endpoint) = try await send(path, body: body, what: what)
        do {
            return try JSONDecoder().decode(Response.self, from: Data(answer))
        } catch {
            throw EtcdError(.decoding, "\(what) on \(endpoint): unexpected answer", endpoint: endpoint,
                            cause: .decoding("\(error); body: \(String(decoding: answer.prefix(256), as: UTF8.self))"))
        }
    }

    /// Sends a body to each endpoint in turn until one answers. Connection errors move on
    /// at once; "unavailable" answers (an election) are retried with backoff within
    /// ``EtcdConfiguration/retryWindow``.
    func send(_ path: String, body: [UInt8], what: String) async throws(EtcdError) -> (body: [UInt8], endpoint: String) {
        let timeout = configuration.requestTimeout
        return try await send(what: what) { (connection, token) async throws(EtcdError) -> [UInt8] in
            try await connection.post(path: path, body: body, token: token, timeout: timeout, what: what)
        }
    }

    /// Calls a unary gRPC method with the same failover, retry and token handling as ``send(_:body:what:)``.
    func callGRPC(_ method: String, message: [UInt8], what: String) async throws(EtcdError) -> (body: [UInt8], endpoint: String) {
        let timeout = configuration.requestTimeout
        return try await send(what: what) { (connection, token) async throws(EtcdError) -> [UInt8] in
            try await connection.callGRPC(method: method, message: message, token: token, timeout: timeout, what: what)
        }
    }

    /// One request as `post` makes it, tried on each endpoint in turn.
    private func send(
        what: String, _ post: (EtcdConnection, String?) async throws(EtcdError) -> [UInt8]
    ) async throws(EtcdError) -> (body: [UInt8], endpoint: String) {
        let count = connections.count
        let deadline = ContinuousClock.now + configuration.retryWindow
        var round = 0
        while true {
            let start = preferred
            // What each endpoint said in this round; the error names them all.
            var attempts: [EtcdError] = []
            var mayRecover = false
            for offset in 0..<count {
                if Task.isCancelled { throw EtcdError(.cancelled, "\(what): cancelled") }
                let index = (start + offset) % count
                let connection = connections[index]
                do {
                    let answer = try await authorized(connection, post)
                    if index != start { prefer(index) }
                    return (answer, connection.endpoint)
                } catch {
                    guard error.isRetryableElsewhere else { throw error }
                    // A refused connection will be refused again; an election or a slow
                    // quorum may be over in a moment.
                    if error.code != .connection { mayRecover = true }
                    attempts.append(error)
                }
            }
            round += 1
            if !mayRecover || ContinuousClock.now >= deadline {
                let tried = configuration.endpoints.joined(separator: ", ")
                throw EtcdError(.unavailable, "\(what): no etcd endpoint answered (tried \(tried))", cause: .attempts(attempts))
            }
            let pause = Duration.milliseconds(min(1000, 50 << min(round, 5)))
            do { try await Task.sleep(for: pause) } catch { throw EtcdError(.cancelled, "\(what): cancelled") }
        }
    }

    /// One request with the current token; when etcd refuses the token, authenticates
    /// again on the same endpoint and repeats the request, up to three times in all (with
    /// a short `--auth-token-ttl` a fresh token can expire before a busy client uses it).
    private func authorized(
        _ connection: EtcdConnection, _ post: (EtcdConnection, String?) async throws(EtcdError) -> [UInt8]
    ) async throws(EtcdError) -> [UInt8] {
        guard configuration.credentials != nil else { return try await post(connection, nil) }
        let current: String
        if let token = currentToken {
            current = token
        } else {
            current = try await authenticate(on: connection)
        }
        var token = current
        var attempt = 1
        while true {
            do {
                return try await post(connection, token)
            } catch where error.isRefusedToken && attempt < 3 {
                attempt += 1
                token = try await authenticate(on: connection)
            }
        }
    }

    /// Exchanges the configured user name and password for a token (`/v3/auth/authenticate`).
    func authenticate(on connection: EtcdConnection) async throws(EtcdError) -> String {
        guard let credentials = configuration.credentials else {
            throw EtcdError(.configuration, "authenticate: no credentials configured")
        }
        let what = "authenticate as \(credentials.user)"
        let body = Array(try! JSONEncoder().encode(WireAuthenticateRequest(name: credentials.user, password: credentials.password)))
        let answer = try await connection.post(path: "/v3/auth/authenticate", body: body, token: nil,
                                               timeout: configuration.requestTimeout, what: what)
        guard let response = try? JSONDecoder().decode(WireAuthenticateResponse.self, from: Data(answer)),
              let token = response.token, !token.isEmpty else {
            throw EtcdError(.authentication, "\(what) on \(connection.endpoint): etcd returned no token (is auth enabled?)",
                            endpoint: connection.endpoint)
        }
        state.withLock { $0.token = token }
        return token
    }

    /// Forgets the token so that the next call authenticates again.
    func invalidateToken() { state.withLock { $0.token = nil } }
}

extension EtcdError {
    /// etcd refused the token itself (expired, revoked, or from before a restart),
    /// as opposed to refusing the user's permissions.
    var isRefusedToken: Bool {
        guard let message = serverMessage else { return false }
        return message.contains("invalid auth token") || message.contains("user name is empty")
            || message.contains("revision of auth store is old")
    }
}
