import Foundation
import Synchronization

/// Where valon-sync keeps the zone it last applied (``AppliedZone``), the base of its next
/// IXFR (docs/ARCHITECTURE.md §12): `<state dir>/<interface>.zone`, replaced whole and
/// durably (``DurableFile``). The state file holds its digest; a zone file whose digest
/// differs, that does not decode or that is missing is no base, and the next read is whole.
public enum AppliedZoneFile {
    /// The largest zone file read back (a 100,000-peer zone is about 15 MB).
    public static let limit = 256 << 20

    public static func path(directory: String, interface: String) -> String {
        "\(directory)/\(interface).zone"
    }

    /// Writes `zone` and returns the digest of what was written.
    public static func save(_ zone: AppliedZone, directory: String, interface: String) throws(ClientError) -> String {
        let file = path(directory: directory, interface: interface)
        do {
            let bytes = try zone.encoded()
            try DurableFile.makeDirectory(directory)
            try DurableFile.replace(file, with: bytes)
            return AppliedZone.digest(of: bytes)
        } catch let error as DNSError {
            throw ClientError(.state, "cannot encode the applied zone for \(file)", cause: error)
        } catch {
            throw ClientError(.state, "cannot write the applied zone \(file)", cause: error)
        }
    }

    /// The zone in the file when its digest is `digest`; otherwise `nil` and why.
    public static func load(directory: String, interface: String, digest: String) -> (zone: AppliedZone?, problem: String?) {
        let file = path(directory: directory, interface: interface)
        let bytes: [UInt8]
        do {
            guard let read = try DurableFile.read(file, limit: limit) else { return (nil, "\(file) is missing") }
            bytes = read
        } catch {
            return (nil, "cannot read \(file): \(error)")
        }
        guard AppliedZone.digest(of: bytes) == digest else { return (nil, "\(file) is not the zone the state file names (digest differs)") }
        do {
            return (try AppliedZone(decoding: bytes), nil)
        } catch {
            return (nil, "\(file) does not decode: \(error)")
        }
    }

    public static func remove(directory: String, interface: String) {
        try? FileManager.default.removeItem(atPath: path(directory: directory, interface: interface))
    }
}

/// The last applied zone a process wrote, with its file's digest, so that the next sync in
/// the same process (`valon-sync --follow`) does not read the file back.
final class AppliedZoneCache: Sendable {
    private let kept = Mutex<(digest: String, zone: AppliedZone)?>(nil)

    func zone(digest: String) -> AppliedZone? {
        kept.withLock { $0?.digest == digest ? $0?.zone : nil }
    }

    func keep(_ zone: AppliedZone, digest: String) {
        kept.withLock { $0 = (digest, zone) }
    }
}
