import Foundation

/// The client side of the discovery node's DDNS API (docs/ARCHITECTURE.md §3), over libcurl:
/// `POST /api/endpoint` reports this peer's LAN endpoint, `DELETE /api/endpoint/delete`
/// clears it. The API knows the caller by the packet's source address, so calls go
/// through the tunnel to the discovery node's WireGuard address (docs/ARCHITECTURE.md §7).
public struct DDNSClient: Sendable {
    /// The API's base URL, like `http://100.100.0.1:8053` (no trailing slash).
    public var baseURL: String
    public var timeout: Duration

    public init(baseURL: String, timeout: Duration = .seconds(5)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.timeout = timeout
    }

    /// The API's answer to a successful call.
    public struct Reply: Hashable, Sendable, Codable {
        public var success: Bool
        public var message: String?
        /// `POST /api/relay`: the pair's relay port.
        public var port: UInt16?
    }

    /// Reports `lanEndpoint` as the LAN endpoint of the peer `publicKey`; `alias`, when
    /// given, must be the registered one (the API never changes aliases).
    @discardableResult
    public func reportEndpoint(publicKey: WireGuardKey, lanEndpoint: Endpoint, alias: String?) async throws(DDNSClientError) -> Reply {
        var body: [String: String] = ["pubkey": publicKey.base64, "lan_endpoint": lanEndpoint.description]
        if let alias { body["alias"] = alias }
        return try await call("POST", "/api/endpoint", body)
    }

    /// Asks the discovery node to relay the pair of `publicKey` and `peer` (docs/ARCHITECTURE.md
    /// §10) and returns the pair's port; the zone then publishes it to both peers.
    public func requestRelay(publicKey: WireGuardKey, peer: WireGuardKey) async throws(DDNSClientError) -> UInt16 {
        let request = "POST \(baseURL)/api/relay"
        let reply = try await call("POST", "/api/relay", ["pubkey": publicKey.base64, "peer": peer.base64])
        guard let port = reply.port else { throw DDNSClientError(.badResponse, request: request, status: 200, message: "no port in the answer") }
        return port
    }

    /// Clears the LAN endpoint of the peer `publicKey`.
    @discardableResult
    public func clearEndpoint(publicKey: WireGuardKey) async throws(DDNSClientError) -> Reply {
        try await call("DELETE", "/api/endpoint/delete", ["pubkey": publicKey.base64])
    }

    /// Whether the node answers `GET /health` (200, or 503 while it is degraded). Through the
    /// tunnel only the holder of the node's WireGuard key can answer at its address, so a
    /// node learned from the zone is trusted only after this (docs/ARCHITECTURE.md §11).
    public func answersHealth() async -> Bool {
        let url = baseURL + "/health", requestTimeout = timeout
        let result = await Self.offPool { Self.exchange("GET", url: url, body: [], timeout: requestTimeout) }
        guard case .success(let answer) = result else { return false }
        return answer.status == 200 || answer.status == 503
    }

    private func call(_ method: String, _ path: String, _ body: [String: String]) async throws(DDNSClientError) -> Reply {
        let request = "\(method) \(baseURL)\(path)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(body)).map { Array($0) } ?? []
        let url = baseURL + path, requestTimeout = timeout
        let result = await Self.offPool { Self.exchange(method, url: url, body: json, timeout: requestTimeout) }
        let response: (status: Int, body: [UInt8])
        switch result {
        case .failure(let failure):
            throw DDNSClientError(.transport, request: request, message: failure.detail, curlCode: failure.code)
        case .success(let answer):
            response = answer
        }
        let reply = try? JSONDecoder().decode(Reply.self, from: Data(response.body))
        let text = reply?.message ?? String(decoding: response.body.prefix(512), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard (200..<300).contains(response.status) else {
            throw DDNSClientError(.rejected, request: request, status: response.status, message: text.isEmpty ? "no message" : text)
        }
        guard let reply, reply.success else {
            throw DDNSClientError(.badResponse, request: request, status: response.status,
                            message: text.isEmpty ? "empty body" : text)
        }
        return reply
    }

    /// One blocking JSON request through a fresh ``CurlHandle`` (the client makes one or two
    /// calls per run); the body is collected up to 1 MiB, more stops the transfer.
    private static func exchange(
        _ method: String, url: String, body: [UInt8], timeout: Duration
    ) -> Result<(status: Int, body: [UInt8]), CurlHandle.Failure> {
        let handle: CurlHandle
        switch CurlHandle.plain(url: url, connectTimeout: timeout) {
        case .failure(let failure): return .failure(failure)
        case .success(let made): handle = made
        }
        var collected: [UInt8] = []
        let result = handle.perform(method, url: url, body: body,
                                    headers: ["Content-Type: application/json", "Accept: application/json"],
                                    timeout: timeout, onData: { bytes in
            guard collected.count + bytes.count <= 1 << 20 else { return false }
            collected.append(contentsOf: bytes)
            return true
        })
        return result.map { (status: $0.status, body: collected) }
    }

    /// Runs blocking libcurl work on ``BlockingPool``, never the cooperative pool.
    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await runBlocking(work)
    }
}
