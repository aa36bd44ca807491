import Foundation
import Synchronization

/// Where valon-sync keeps the zone it last applied (``AppliedZone``), the base of its next
/// IXFR (docs/ARCHITECTURE.md §12): `<state dir>/<interface>.zone`, a journal. A zone read by
/// AXFR replaces the file whole and durably (``DurableFile/replace(_:with:mode:)``); the
/// differences an IXFR applied are appended (``DurableFile/append(_:contents:at:)``) until
/// they outgrow the base. The state file holds the digest of the file up to the zone applied;
/// a zone file that does not reach that digest, that does not decode or that is missing is
/// no base, and the next read is whole.
public enum AppliedZoneFile {
    /// The largest zone file read back (a 100,000-peer zone is about 15 MB, and the
    /// differences after it at most as much again).
    public static let limit = 256 << 20

    public static func path(directory: String, interface: String) -> String {
        "\(directory)/\(interface).zone"
    }

    /// Keeps `zone`: appends its unsaved differences to its file, or writes the whole file
    /// when it has none to append to or they outgrew the base. Returns the digest of the file
    /// up to the zone, and the zone with its file position.
    public static func save(_ zone: AppliedZone, directory: String, interface: String) throws(ClientError) -> (digest: String, zone: AppliedZone) {
        let file = path(directory: directory, interface: interface)
        do {
            if let (bytes, appended) = try zone.appending(), let position = zone.file, let end = appended.file {
                if !bytes.isEmpty { try DurableFile.append(file, contents: bytes, at: position.length) }
                return (end.digest, appended)
            }
            let (bytes, written) = try zone.encoded()
            try DurableFile.makeDirectory(directory)
            try DurableFile.replace(file, with: bytes)
            return (written.file!.digest, written)
        } catch let error as DNSError {
            throw ClientError(.state, "cannot encode the applied zone for \(file)", cause: error)
        } catch {
            throw ClientError(.state, "cannot write the applied zone \(file)", cause: error)
        }
    }

    /// The zone in the file up to `digest`; otherwise `nil` and why.
    public static func load(directory: String, interface: String, digest: String) -> (zone: AppliedZone?, problem: String?) {
        let file = path(directory: directory, interface: interface)
        let bytes: [UInt8]
        do {
            guard let read = try DurableFile.read(file, limit: limit) else { return (nil, "\(file) is missing") }
            bytes = read
        } catch {
            return (nil, "cannot read \(file): \(error)")
        }
        do {
            return (try AppliedZone(decoding: bytes, digest: digest), nil)
        } catch {
            return (nil, "\(file) is not the zone the state file names: \(error)")
        }
    }

    public static func remove(directory: String, interface: String) {
        try? FileManager.default.removeItem(atPath: path(directory: directory, interface: interface))
    }
}

/// The last applied zone a process kept, with its file's digest, so that the next sync in
/// the same process (`valon-sync --follow`) does not read the file back. ``take(digest:)``
/// hands it out and forgets it, so that the sync that applies a difference changes the only
/// copy in place (``AppliedZone/apply(_:soa:)``) instead of copying every record.
final class AppliedZoneCache: Sendable {
    private struct Kept {
        var digest: String
        var zone: AppliedZone
        /// The zone is the one with `digest` and differences read since, which the device
        /// does not have yet (an incremental sync that left the change to a whole one).
        var ahead: Bool
    }

    private let kept = Mutex<Kept?>(nil)

    /// The kept zone if its digest is `digest`, left kept.
    func zone(digest: String) -> AppliedZone? {
        kept.withLock { $0?.digest == digest && $0?.ahead == false ? $0?.zone : nil }
    }

    /// The kept zone if its digest is `digest`, no longer kept.
    func take(digest: String) -> AppliedZone? {
        kept.withLock { kept in
            guard let held = kept, held.digest == digest, !held.ahead else { return nil }
            kept = nil
            return held.zone
        }
    }

    func keep(_ zone: AppliedZone, digest: String) {
        kept.withLock { $0 = Kept(digest: digest, zone: zone, ahead: false) }
    }

    /// Keeps `zone`: the one with `digest`, with the differences of a newer serial applied.
    func keep(_ zone: AppliedZone, aheadOf digest: String) {
        kept.withLock { $0 = Kept(digest: digest, zone: zone, ahead: true) }
    }

    /// The zone kept ahead of the one with `digest`, no longer kept.
    func takeAhead(of digest: String) -> AppliedZone? {
        kept.withLock { kept in
            guard let held = kept, held.digest == digest, held.ahead else { return nil }
            kept = nil
            return held.zone
        }
    }
}
