/// DNS-based service discovery over a ``DNSResolver`` (RFC 6763): a browse asks for the
/// PTR records of a service type (`_wireguard._udp.<zone>` in VALON, docs/ARCHITECTURE.md §3), then
/// for the SRV and TXT records of every instance, all in one pipelined batch.
public struct DNSServiceBrowser: Sendable {
    /// One service instance and what its records say.
    public struct Instance: Hashable, Sendable {
        /// The instance name, `<name>.<service type>` (RFC 6763 §4.1).
        public var name: DNSName
        /// Its SRV records ordered by priority, then weight (RFC 2782).
        public var services: [DNSSRV]
        /// Its TXT strings (RFC 6763 §6: `key=value`), in the order of its first TXT record.
        public var text: [[UInt8]]

        public init(name: DNSName, services: [DNSSRV], text: [[UInt8]]) {
            self.name = name
            self.services = services
            self.text = text
        }
    }

    public var resolver: DNSResolver

    public init(resolver: DNSResolver) {
        self.resolver = resolver
    }

    /// Lists the instances of `serviceType` (for example `_wireguard._udp.valon.internal`),
    /// sorted by name. An instance whose SRV or TXT name does not exist is listed with no
    /// services or no text.
    public func browse(_ serviceType: DNSName) async throws(DNSError) -> [Instance] {
        let browse = try await resolver.query(serviceType, .ptr)
        var names: [DNSName] = []
        for record in browse.answers where record.name == serviceType {
            if case .ptr(let instance) = record.data, !names.contains(instance) { names.append(instance) }
        }
        names.sort { $0.description.lowercased() < $1.description.lowercased() }
        let questions = names.flatMap { name in
            [DNSQuestion(name: name, type: .srv, dnsClass: .in), DNSQuestion(name: name, type: .txt, dnsClass: .in)]
        }
        let replies = try await resolver.resolve(questions)
        return names.enumerated().map { position, name in
            let services = replies[2 * position].answers.compactMap { record -> DNSSRV? in
                guard record.name == name, case .srv(let srv) = record.data else { return nil }
                return srv
            }
            let text = replies[2 * position + 1].answers.lazy.compactMap { record -> [[UInt8]]? in
                guard record.name == name, case .txt(let strings) = record.data else { return nil }
                return strings
            }.first ?? []
            return Instance(
                name: name,
                services: services.sorted { ($0.priority, $0.weight) < ($1.priority, $1.weight) },
                text: text)
        }
    }
}
