import Foundation

/// `valonctl discovery list` (docs/ARCHITECTURE.md §11): every registered discovery node,
/// its lease, and whether it answers DNS and the DDNS API through the tunnel.
extension Administrator {
    /// One registered discovery node and what probing it found.
    public struct DiscoveryView: Sendable, Hashable, Encodable {
        public var publicKey: String
        public var wgIP: String
        public var endpoint: String?
        public var relay: String?
        public var lease: String
        /// Seconds left on the lease; `nil` when it has none or it has expired.
        public var leaseTTL: Int64?
        /// Whether this is the node whose interface valonctl.yml names.
        public var thisNode: Bool
        /// `discovery.<zone>` A answered by the node's DNS server at its WireGuard address.
        public var answersDNS: Bool
        /// `GET /health` on the node's DDNS API answered 200.
        public var answersAPI: Bool
        public var problems: [String]

        enum CodingKeys: String, CodingKey {
            case publicKey = "pubkey", wgIP = "wg_ip", endpoint, relay, lease, leaseTTL = "lease_ttl", thisNode = "this_node"
            case answersDNS = "answers_dns", answersAPI = "answers_api", problems
        }
    }

    /// Every registered node in key order, probed one by one, and the records that did not parse.
    public func listDiscoveryNodes() async throws(AdminError) -> (nodes: [DiscoveryView], problems: [String]) {
        let (nodes, problems) = try await registryCall { () async throws(RegistryError) in try await registry.discoveryNodes() }
        let ownKey = try? discoveryPublicKey(try? readInterface())
        let apiPort = URLComponents(string: configuration.apiURL)?.port ?? 8053
        var views = [DiscoveryView]()
        for node in nodes {
            var view = DiscoveryView(publicKey: node.publicKey.base64, wgIP: node.wgIP.description, endpoint: node.endpoint,
                                     relay: node.relay, lease: String(node.lease, radix: 16), leaseTTL: nil,
                                     thisNode: node.publicKey == ownKey, answersDNS: false, answersAPI: false, problems: [])
            if node.lease != 0 {
                do {
                    view.leaseTTL = try await registry.timeToLive(lease: node.lease)
                } catch {
                    view.problems.append(error.message)
                }
            }
            let dns = await checkDNS(server: Endpoint(address: node.wgIP, port: 53), expecting: node.wgIP)
            view.answersDNS = dns.ok
            if let error = dns.error { view.problems.append("DNS: \(error)") }
            let host = node.wgIP.isIPv4 ? node.wgIP.description : "[\(node.wgIP)]"
            switch await HTTPHealthProbe.get("http://\(host):\(apiPort)/health", timeout: .seconds(2)) {
            case .success(let answer):
                view.answersAPI = answer.status == 200
                if answer.status != 200 { view.problems.append("API: /health answered HTTP \(answer.status)") }
            case .failure(let failure):
                view.problems.append("API: \(failure)")
            }
            views.append(view)
        }
        return (views, problems.map(\.message))
    }
}
