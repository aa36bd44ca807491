#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Private key files: base64 text as `wg genkey > file` writes it, mode 0600.
///
/// Reading refuses a file that group or others can read or write, as a leaked
/// private key lets anyone impersonate the peer. Writing creates the file with mode
/// 0600 from the start (never a moment with wider permissions) and replaces an
/// existing file atomically with `rename(2)`.
public enum WireGuardKeyFile {
    /// Reads and parses the key in `path`.
    public static func read(from path: String) throws(WireGuardKeyError) -> WireGuardKey {
        let fd: Int32
        do {
            fd = try retryingOnInterrupt("open", target: path) { open(path, O_RDONLY | O_CLOEXEC) }
        } catch {
            throw WireGuardKeyError(.fileAccess, "cannot open private key file \(path)", cause: error)
        }
        defer { close(fd) }

        var info = stat()
        do {
            try retryingOnInterrupt("fstat", target: path) { fstat(fd, &info) }
        } catch {
            throw WireGuardKeyError(.fileAccess, "cannot stat private key file \(path)", cause: error)
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw WireGuardKeyError(
                .insecurePermissions,
                "private key file \(path) has mode \(String(mode, radix: 8)); it must not be accessible by group or others (chmod 600 \(path))"
            )
        }

        var contents = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 256)
        while contents.count <= 4096 {
            let count: Int
            do {
                count = try retryingOnInterrupt("read", target: path) {
                    chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                }
            } catch {
                throw WireGuardKeyError(.fileAccess, "cannot read private key file \(path)", cause: error)
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
        }
        do {
            return try WireGuardKey(base64: String(decoding: contents, as: UTF8.self))
        } catch {
            throw WireGuardKeyError(error.code, "private key file \(path): \(error.message)")
        }
    }

    /// Writes `key` in base64 with a trailing newline to `path`, mode 0600 (``DurableFile``).
    public static func write(_ key: WireGuardKey, to path: String) throws(WireGuardKeyError) {
        do throws(SystemError) {
            try DurableFile.replace(path, with: Array((key.base64 + "\n").utf8), mode: 0o600)
        } catch {
            throw WireGuardKeyError(.fileAccess, "cannot write private key file \(path)", cause: error)
        }
    }
}
