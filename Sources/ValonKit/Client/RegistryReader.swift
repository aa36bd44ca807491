import Synchronization

/// Reads the registry from the discovery node's DNS server (docs/ARCHITECTURE.md §5 steps 2–3): the
/// zone's SOA serial with one UDP query, and every peer in one go: a zone transfer
/// (AXFR over TCP, RFC 5936), or where the server refuses transfers, a DNS-SD browse
/// (RFC 6763) with the SRV and TXT queries pipelined, then the A/AAAA of any SRV target
/// whose address was not in the additional sections.
///
/// ``queryCount`` counts the queries sent (a transfer is one), for `--json`.
public final class RegistryReader: Sendable {
    public let resolver: DNSResolver
    public let zone: DNSName
    /// How the last ``fetchAll()`` read the zone.
    public enum Method: String, Sendable, Codable {
        case axfr
        /// The changes since the applied zone (RFC 1995), applied to it.
        case ixfr
        case browse
    }

    /// The DNS queries sent so far (a transfer counts as one); safe to read from any task.
    public var queryCount: Int { queries.withLock { $0 } }
    private let queries = Mutex(0)

    private func count(_ sent: Int) {
        queries.withLock { $0 += sent }
    }

    public init(server: Endpoint, zone: DNSName, timeout: Duration = .seconds(2), attempts: Int = 3) {
        var configuration = DNSResolver.Configuration(server: server)
        configuration.timeout = timeout
        configuration.attempts = attempts
        resolver = DNSResolver(configuration: configuration)
        self.zone = zone
    }

    /// The zone's SOA serial (one UDP query).
    public func serial() async throws(ClientError) -> UInt32 {
        count(1)
        let reply: DNSMessage
        do throws(DNSError) {
            reply = try await resolver.query(zone, .soa)
        } catch {
            throw ClientError(.registry, "cannot read the SOA of \(zone) from \(resolver.configuration.server)", cause: error)
        }
        for record in reply.answers where record.name == zone {
            if case .soa(let soa) = record.data { return soa.serial }
        }
        throw ClientError(.registry, "\(resolver.configuration.server) answered \(reply.responseCode) without the SOA of \(zone)")
    }

    /// Every peer of the zone: AXFR, or a browse where the transfer is refused.
    public func fetchAll() async throws(ClientError) -> (zone: RegistryZone, method: Method) {
        let (zone, method, _) = try await fetchWhole()
        return (zone, method)
    }

    /// AXFR, or a browse where the transfer is refused; with the zone as transferred.
    private func fetchWhole() async throws(ClientError) -> (zone: RegistryZone, method: Method, applied: AppliedZone?) {
        count(1)
        do throws(DNSError) {
            let transfer = try await resolver.transferZone(zone)
            let applied = AppliedZone(zone: zone, records: transfer.records)
            return (applied.registry, .axfr, applied)
        } catch where error.code == .refused {
            return (try await browse(), .browse, nil)
        } catch {
            throw ClientError(.registry, "cannot transfer the zone \(zone) from \(resolver.configuration.server)", cause: error)
        }
    }

    /// The server's IXFR answer (RFC 1995) from `serial`, whose SOA the client holds: the SOA
    /// alone, the whole zone, or the differences. A server that cannot answer is an error.
    public func changes(since serial: UInt32, soa: DNSSOA) async throws(ClientError) -> DNSIncrementalTransfer {
        count(1)
        do throws(DNSError) {
            return try await resolver.incrementalTransfer(zone, from: serial, soa: soa)
        } catch {
            throw ClientError(.registry, "cannot read the changes of \(zone) since serial \(serial) from \(resolver.configuration.server)", cause: error)
        }
    }

    /// The zone as the changes since `base` (IXFR, RFC 1995) applied to it, when `base`
    /// is a zone with a serial; the whole zone (AXFR, else a browse) when there is no base,
    /// when the server answers with the whole zone or cannot say what changed, or when
    /// its answer fails or does not fit the base (``AppliedZone/Mismatch``).
    public func fetch(since base: AppliedZone?) async throws(ClientError) -> (zone: RegistryZone, method: Method, applied: AppliedZone?) {
        guard let base, base.zone == zone, let serial = base.serial, let soa = base.soa,
              // A server without IXFR, or one that broke off: the whole zone says the same.
              let answer = try? await changes(since: serial, soa: soa) else { return try await fetchWhole() }
        switch answer {
        case .current(let current) where current == serial:
            return (base.registry, .ixfr, base)
        case .current:
            return try await fetchWhole()
        case .full(let transfer):
            let applied = AppliedZone(zone: zone, records: transfer.records)
            return (applied.registry, .axfr, applied)
        case .differences(_, let newSOA, let differences, _, _):
            do throws(AppliedZone.Mismatch) {
                let next = try base.applying(differences.map { ($0.deleted, $0.added) }, soa: newSOA)
                return (next.registry, .ixfr, next)
            } catch {
                return try await fetchWhole()
            }
        }
    }

    /// The DNS-SD browse: PTR, then SRV and TXT of every instance in one pipelined batch,
    /// then addresses still missing. The SOA serial is asked first, so that a change during
    /// the browse shows as a new serial at the next run.
    public func browse() async throws(ClientError) -> RegistryZone {
        let server = resolver.configuration.server
        do throws(DNSError) {
            let service = try RegistryZone.serviceType(in: zone)
            count(2)
            let head = try await resolver.resolve([DNSQuestion(name: zone, type: .soa), DNSQuestion(name: service, type: .ptr)])
            var records = head[0].answers
            var instances = [DNSName]()
            for record in head[1].answers where record.name == service {
                if case .ptr(let instance) = record.data, !instances.contains(instance) { instances.append(instance) }
            }
            let questions = instances.flatMap { [DNSQuestion(name: $0, type: .srv), DNSQuestion(name: $0, type: .txt)] }
            count(questions.count)
            for reply in try await resolver.resolve(questions) {
                records += reply.answers
                records += reply.additionals
            }
            var zoneReading = RegistryZone(records: records, zone: zone)
            if !zoneReading.unresolvedTargets.isEmpty {
                let lookups = zoneReading.unresolvedTargets.flatMap { [DNSQuestion(name: $0, type: .a), DNSQuestion(name: $0, type: .aaaa)] }
                count(lookups.count)
                for reply in try await resolver.resolve(lookups) { records += reply.answers }
                zoneReading = RegistryZone(records: records, zone: zone)
            }
            return zoneReading
        } catch {
            throw ClientError(.registry, "cannot browse _wireguard._udp.\(zone) at \(server)", cause: error)
        }
    }
}
