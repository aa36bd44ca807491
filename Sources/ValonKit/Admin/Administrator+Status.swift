/// `valonctl status`: each part of the discovery node checked on its own, so one outage
/// never hides another.
extension Administrator {
    /// Runs every check; `now` (Unix seconds) decides which handshakes are recent.
    /// `dnsServer` is where the zone is asked (default: the discovery address, port 53).
    public func status(now: Int64, dnsServer: Endpoint? = nil) async -> StatusReport {
        let interface = checkInterface(now: now)
        let etcd = await checkEtcd()
        let ddns = await checkDDNS()
        let dns = await checkDNS(server: dnsServer ?? Endpoint(address: configuration.discoveryIP, port: 53))
        return StatusReport(interface: interface, etcd: etcd, ddns: ddns, dns: dns)
    }

    /// Asks the discovery DNS server for `discovery.<zone>` (A or AAAA, as the discovery
    /// address is) with the stub resolver: ok when the answer holds the discovery address.
    func checkDNS(server: Endpoint, expecting expected: IPAddress? = nil) async -> StatusReport.DNSCheck {
        let expected = expected ?? configuration.discoveryIP
        let name = "discovery.\(configuration.dnsZone)"
        var check = StatusReport.DNSCheck(server: server.description, name: name, ok: false, addresses: [])
        var resolverConfiguration = DNSResolver.Configuration(server: server)
        resolverConfiguration.timeout = .seconds(1)
        resolverConfiguration.attempts = 2
        do {
            let reply = try await DNSResolver(configuration: resolverConfiguration)
                .query(DNSName(name), expected.isIPv4 ? .a : .aaaa)
            check.addresses = reply.answers.compactMap { record in
                switch record.data {
                case .a(let address): "\(address)"
                case .aaaa(let address): "\(address)"
                default: nil
                }
            }
            if check.addresses.contains(expected.description) {
                check.ok = true
            } else if check.addresses.isEmpty {
                check.error = "no address in the answer (\(reply.responseCode))"
            } else {
                check.error = "answered \(check.addresses.joined(separator: ", ")), not the discovery address \(expected)"
            }
        } catch {
            check.error = error.description
        }
        return check
    }

    func checkInterface(now: Int64) -> StatusReport.InterfaceCheck {
        var check = StatusReport.InterfaceCheck(name: interfaceName, ok: false, peers: 0, peersWithRecentHandshake: 0)
        let device: WireGuardDevice?
        do {
            device = try readInterface()
        } catch {
            check.error = error.message
            return check
        }
        guard let device else {
            check.error = "does not exist (no userspace socket and no kernel device)"
            return check
        }
        check.publicKey = device.publicKey?.base64
        check.listenPort = device.listenPort
        check.peers = device.peers.count
        let handshakes = device.peers.compactMap(\.lastHandshake?.seconds)
        check.latestHandshake = handshakes.max()
        check.peersWithRecentHandshake = handshakes.filter { now - $0 < StatusReport.recentHandshake }.count
        if device.privateKey == nil {
            check.error = "has no private key"
        } else {
            check.ok = true
        }
        return check
    }

    func checkEtcd() async -> StatusReport.EtcdCheck {
        let results = await registry.etcd?.statusOfEachEndpoint() ?? []
        var endpoints: [StatusReport.EtcdEndpointCheck] = []
        var leader: UInt64?
        var revision: Int64?
        for (endpoint, result) in results {
            switch result {
            case .success(let status):
                endpoints.append(StatusReport.EtcdEndpointCheck(
                    endpoint: endpoint, ok: true, memberID: String(status.header.memberID, radix: 16),
                    isLeader: status.isLeader, version: status.version, revision: status.header.revision))
                if status.leader != 0 { leader = status.leader }
                revision = max(revision ?? 0, status.header.revision)
            case .failure(let error):
                endpoints.append(StatusReport.EtcdEndpointCheck(endpoint: endpoint, ok: false, error: error.description, isLeader: false))
            }
        }
        let reachable = endpoints.filter(\.ok).count
        var check = StatusReport.EtcdCheck(ok: reachable > 0 && leader != nil, endpoints: endpoints, reachable: reachable,
                                           leader: leader.map { String($0, radix: 16) }, revision: revision)
        if check.ok {
            if let listing = try? await registry.list() {
                check.registeredPeers = listing.peers.count
                var alias = [WireGuardKey: String]()
                for peer in listing.peers { alias[peer.publicKey] = peer.alias }
                check.relayedPairs = listing.relays.sorted { $0.port < $1.port }.map {
                    "\(alias[$0.first] ?? $0.first.base64)–\(alias[$0.second] ?? $0.second.base64) on port \($0.port)"
                }
            }
        }
        return check
    }

    func checkDDNS() async -> StatusReport.HTTPCheck {
        let url = configuration.apiURL + "/health"
        switch await HTTPHealthProbe.get(url) {
        case .success(let answer):
            let ok = (200..<300).contains(answer.status)
            return StatusReport.HTTPCheck(url: url, ok: ok, status: answer.status,
                                          error: ok ? nil : "answered HTTP \(answer.status)")
        case .failure(let failure):
            return StatusReport.HTTPCheck(url: url, ok: false, error: "unreachable: \(failure)")
        }
    }
}
