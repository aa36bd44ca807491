extension DNSResolver {
    /// The SOA record of `zone` (RFC 1035 §3.3.13), asked with one query: valon-sync
    /// compares its serial with the last applied one before fetching anything else
    /// (docs/ARCHITECTURE.md §5). Throws ``DNSError/Code/noAnswer`` when the reply holds no SOA
    /// for `zone` in its answer (the name is not a zone apex, or does not exist).
    public func startOfAuthority(of zone: DNSName) async throws(DNSError) -> DNSSOA {
        let reply = try await query(zone, .soa)
        for record in reply.answers where record.name == zone {
            if case .soa(let soa) = record.data { return soa }
        }
        throw DNSError(.noAnswer,
                       "\(configuration.server) has no SOA for \(zone) (\(reply.responseCode), \(reply.answers.count) answers)")
    }
}
