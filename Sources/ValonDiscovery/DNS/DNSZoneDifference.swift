import ValonKit

/// The condensed difference between the zone at two registry snapshots (RFC 1995 §2, §5):
/// the records the older zone has and the newer one does not, and the other way round.
/// Applying it to the older zone gives the newer one exactly; the SOA is not among them
/// (an IXFR response frames the difference with the two SOAs).
///
/// Computed peer by peer: a peer's records depend only on the peer, its relayed pairs (the
/// other peer's key and address and the port) and whether its alias names it, so a peer
/// for which all three are equal in both snapshots is skipped without making its records.
/// The apex (NS, the discovery nodes' SRV, TXT and addresses) is compared whole; records
/// one peer's group deletes and another's adds (an alias that changed owner) cancel. When the
/// discovery nodes differ, every peer is compared (the nodes are few and change rarely).
/// ``DNSZoneDifferenceTests`` checks this against the plain difference of the two whole
/// zones.
public struct DNSZoneDifference: Sendable, Equatable {
    /// The serial the difference starts from and the one it leads to.
    public let fromSerial: UInt32
    public let toSerial: UInt32
    /// Records in the older zone only, in transfer order.
    public let deleted: [DNSResourceRecord]
    /// Records in the newer zone only, in transfer order.
    public let added: [DNSResourceRecord]

    public var recordCount: Int { deleted.count + added.count }

    /// The difference from `old` to `new` in `responder`'s zone.
    init(responder: DNSZoneResponder, from old: RegistrySnapshot, to new: RegistrySnapshot) {
        fromSerial = old.serial
        toSerial = new.serial
        var deleted = [DNSResourceRecord](), added = [DNSResourceRecord]()
        func compare(_ before: [DNSResourceRecord], _ after: [DNSResourceRecord]) {
            guard before != after else { return }
            let beforeSet = Set(before), afterSet = Set(after)
            deleted += before.filter { !afterSet.contains($0) }
            added += after.filter { !beforeSet.contains($0) }
        }
        // The apex without its SOA (the SOA frames the difference).
        compare(Array(responder.apexRecords(snapshot: old).dropFirst()), Array(responder.apexRecords(snapshot: new).dropFirst()))
        let everyPeer = old.discoveryNodes != new.discoveryNodes
        for before in old.peers where new.peer(key: before.publicKey) == nil {
            deleted += Self.allRecords(of: before, responder: responder, snapshot: old)
        }
        for after in new.peers {
            guard let before = old.peer(key: after.publicKey) else {
                added += Self.allRecords(of: after, responder: responder, snapshot: new)
                continue
            }
            if everyPeer || !Self.sameInputs(before, old, after, new) {
                compare(responder.peerRecords(before, snapshot: old), responder.peerRecords(after, snapshot: new))
            }
        }
        // A name can pass from one peer to another (an alias whose owner changed) with
        // records that read the same: deleted from one group, added by the other, they are
        // in both zones and cancel.
        let both = Set(deleted).intersection(added)
        self.deleted = both.isEmpty ? deleted : deleted.filter { !both.contains($0) }
        self.added = both.isEmpty ? added : added.filter { !both.contains($0) }
    }

    /// Whether a peer's records are made from the same inputs in both snapshots.
    private static func sameInputs(_ before: Peer, _ old: RegistrySnapshot, _ after: Peer, _ new: RegistrySnapshot) -> Bool {
        guard before == after else { return false }
        guard (old.peer(named: before.alias) == before) == (new.peer(named: after.alias) == after) else { return false }
        let relaysBefore = old.relays(of: before.publicKey), relaysAfter = new.relays(of: after.publicKey)
        guard relaysBefore.count == relaysAfter.count else { return false }
        return zip(relaysBefore, relaysAfter).allSatisfy { $0.peer.publicKey == $1.peer.publicKey && $0.peer.wgIP == $1.peer.wgIP && $0.port == $1.port }
    }

    /// Every record a peer contributes: its browse PTR, its listing SRV and its own names.
    private static func allRecords(of peer: Peer, responder: DNSZoneResponder, snapshot: RegistrySnapshot) -> [DNSResourceRecord] {
        var records = [DNSResourceRecord]()
        if let browse = responder.browseRecord(peer) { records.append(browse) }
        records.append(responder.listingRecord(peer))
        return records + responder.peerRecords(peer, snapshot: snapshot)
    }
}

extension DNSZoneResponder {
    /// The condensed difference between this zone at `old` and at `new` (not memoized; the
    /// server goes through ``RegistryHistory``, which is).
    public func difference(from old: RegistrySnapshot, to new: RegistrySnapshot) -> DNSZoneDifference {
        DNSZoneDifference(responder: self, from: old, to: new)
    }
}
