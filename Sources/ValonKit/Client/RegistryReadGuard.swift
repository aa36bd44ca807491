/// What valon-sync checks before it applies a registry read from DNS
/// (docs/ARCHITECTURE.md §9): a discovery node that has not read etcd must not be able to
/// empty a client's interface, and neither may a transfer that does not belong to the
/// serial it was asked for.
///
/// - A zone whose SOA serial is 0 is never applied: VALON's serial follows the etcd
///   revision and is never 0, so a 0 says the node answered from a registry it never read.
/// - The transfer's SOA serial must equal the serial of the SOA query made just before it.
///   When they differ the registry changed in between (or the answer came from another
///   state): the serial and the transfer are asked once more, and if they still differ the
///   sync fails and the interface stays as it was.
/// - A transfer without the zone's SOA is not a zone.
public enum RegistryReadGuard {
    /// Why a read may not be applied.
    public enum Problem: Sendable, Hashable {
        case serialZero
        case missingSOA
        case serialChanged(asked: UInt32, transferred: UInt32)
    }

    /// The problem with a serial from the SOA query, if any.
    public static func check(serial: UInt32) -> Problem? {
        serial == 0 ? .serialZero : nil
    }

    /// The problem with a transfer read after the SOA query answered `asked`, if any.
    public static func check(asked: UInt32, transferred: UInt32?) -> Problem? {
        guard let transferred else { return .missingSOA }
        if transferred == 0 { return .serialZero }
        return transferred == asked ? nil : .serialChanged(asked: asked, transferred: transferred)
    }

    /// The error for `problem`, naming the server and the zone.
    public static func error(_ problem: Problem, server: String, zone: String, tries: Int = 1) -> ClientError {
        let untouched = "the interface is left as it is"
        switch problem {
        case .serialZero:
            return ClientError(.registry, "\(server) serves \(zone) with SOA serial 0, a registry it has not read; \(untouched)")
        case .missingSOA:
            return ClientError(.registry, "the transfer of \(zone) from \(server) has no SOA; \(untouched)")
        case .serialChanged(let asked, let transferred):
            let again = tries > 1 ? " again after \(tries) tries" : ""
            return ClientError(.registry, "\(server) answered serial \(asked) for \(zone) but transferred serial \(transferred)\(again); \(untouched)")
        }
    }

    /// A zone read that passed the checks, with the serial it belongs to.
    public struct Read: Sendable {
        public var serial: UInt32
        public var zone: RegistryZone
        public var method: RegistryReader.Method
        /// How many times the serial and the zone were read (1, or 2 after a change).
        public var attempts: Int
    }

    /// Fetches the zone after the SOA query answered `serial`, and checks it. When the
    /// transfer's serial differs, asks the serial and fetches once more; a second mismatch,
    /// a serial 0 or a missing SOA throws. `askSerial` and `fetch` are the DNS reads (a
    /// ``RegistryReader`` in valon-sync; tables in the tests).
    /// How many transfers one read makes at most while the serial keeps moving.
    public static let tries = 3

    public static func fetch(
        after serial: UInt32,
        server: String,
        zone: String,
        askSerial: () async throws(ClientError) -> UInt32,
        fetch: () async throws(ClientError) -> (zone: RegistryZone, method: RegistryReader.Method)
    ) async throws(ClientError) -> Read {
        var asked = serial
        for attempt in 1...tries {
            if let problem = check(serial: asked) { throw error(problem, server: server, zone: zone) }
            let fetched = try await fetch()
            switch check(asked: asked, transferred: fetched.zone.serial) {
            case nil:
                return Read(serial: asked, zone: fetched.zone, method: fetched.method, attempts: attempt)
            case .serialChanged where attempt < tries:
                // The registry changed under the read (a write landing between the SOA and the
                // transfer): ask again after a short pause, which lets a burst of writes settle.
                if attempt > 1 { try? await Task.sleep(for: .milliseconds(250 * (attempt - 1))) }
                asked = try await askSerial()
            case let problem?:
                throw error(problem, server: server, zone: zone, tries: attempt)
            }
        }
        preconditionFailure("the loop returns or throws on its last pass")
    }
}
