/// The rule `valon-sync --follow` applies to each datagram on its NOTIFY port
/// (docs/ARCHITECTURE.md §12): who is answered, who is refused, what is dropped.
///
/// 1. A datagram from any address but a discovery node's WireGuard address gets no answer at
///    all, whatever it holds: the listener never reflects traffic at a forged source. Inside
///    the tunnel WireGuard's cryptokey routing makes the source address unforgeable, so a
///    discovery node's address means the node sent it.
/// 2. From a node, a datagram that does not decode as DNS, or is a response (QR set), is
///    dropped (RFC 1996 §4.7 answers requests only).
/// 3. From a node, a NOTIFY request for the client's zone (``DNSNotify/check(_:zone:)``) is
///    answered NOERROR (RFC 1996 §4.7) and wakes the sync.
/// 4. From a node, anything else is answered with the error ``DNSNotify/Problem/rcode``
///    names: another zone REFUSED, a question other than `IN SOA` or not one question
///    FORMERR, another OPCODE NOTIMP.
public enum NotifyAcceptance {
    /// What to do with one datagram.
    public enum Verdict: Hashable, Sendable {
        /// A NOTIFY for the zone from a node: send `reply` and sync (`serial` is the hint
        /// from the answer section, when there was one).
        case accepted(serial: UInt32?, reply: [UInt8])
        /// From a node but not a NOTIFY for the zone: send `reply`, an error response.
        case refused(DNSNotify.Problem, reply: [UInt8])
        /// From an address that is not a discovery node's: no answer.
        case foreignSource
        /// From a node but not a DNS request: dropped, no answer. The text says what was wrong.
        case malformed(String)
    }

    /// Judges `datagram`, which arrived from `source`; `nodes` are the discovery nodes'
    /// WireGuard addresses the client knows, `zone` the client's `DNS_ZONE`.
    public static func judge(_ datagram: some Collection<UInt8>, from source: IPAddress, nodes: Set<IPAddress>,
                             zone: DNSName) -> Verdict {
        guard nodes.contains(unmapped(source)) else { return .foreignSource }
        let message: DNSMessage
        do {
            message = try DNSMessage(decoding: datagram)
        } catch {
            return .malformed(error.description)
        }
        switch DNSNotify.check(message, zone: zone) {
        case .success(let request):
            guard let reply = try? DNSNotify.response(to: message).encoded() else {
                return .malformed("the response to the NOTIFY cannot be encoded")
            }
            return .accepted(serial: request.serial, reply: reply)
        case .failure(let problem):
            guard let rcode = problem.rcode else { return .malformed(problem.description) }
            guard let reply = try? DNSNotify.response(to: message, rcode: rcode).encoded() else {
                return .malformed("the error response cannot be encoded")
            }
            return .refused(problem, reply: reply)
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports) as
    /// the IPv4 address it carries; any other address as it is.
    public static func unmapped(_ address: IPAddress) -> IPAddress {
        guard case .v6(let v6) = address, v6.bytes.prefix(10).allSatisfy({ $0 == 0 }),
              v6.bytes[10] == 0xff, v6.bytes[11] == 0xff else { return address }
        return .v4(IPv4Address(bytes: Array(v6.bytes.suffix(4))))
    }
}
