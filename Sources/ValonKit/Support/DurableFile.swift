#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that are replaced whole and must survive a crash or a power cut at any moment:
/// a reader finds either the old contents or the new ones, never a mixture or a
/// truncated file.
///
/// ``replace(_:with:mode:)`` writes a temporary file beside the target (`O_EXCL`, the
/// mode set from the start), `fsync(2)`s it, `rename(2)`s it over the target and then
/// `fsync(2)`s the directory, so that the rename itself is on disk (rename(2) is atomic
/// for readers; only the directory's fsync makes it durable, see fsync(2), "Calling
/// fsync() does not necessarily ensure that the entry in the directory containing the
/// file has also reached disk").
public enum DurableFile {
    /// The prefix of temporary files beside `path`; a process killed between create and
    /// rename leaves one behind, which ``removeLeftovers(of:)`` deletes.
    public static func temporaryPrefix(of path: String) -> String { path + ".tmp-" }

    /// Atomically replaces `path` with `contents`, file mode `mode`.
    public static func replace(_ path: String, with contents: [UInt8], mode: mode_t = 0o600) throws(SystemError) {
        let temporary = temporaryPrefix(of: path) + "\(getpid())"
        // A leftover of a killed process with our PID (PIDs are reused) would make O_EXCL fail.
        unlink(temporary)
        let fd = try retryingOnInterrupt("open", target: temporary) {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        }
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlink(temporary) }
        }
        // The umask may have narrowed the mode further; make it exactly `mode`.
        try retryingOnInterrupt("fchmod", target: temporary) { fchmod(fd, mode) }
        var written = 0
        while written < contents.count {
            written += try retryingOnInterrupt("write", target: temporary) {
                contents[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            }
        }
        try retryingOnInterrupt("fsync", target: temporary) { fsync(fd) }
        try retryingOnInterrupt("rename", target: path) { rename(temporary, path) }
        renamed = true
        try syncDirectory(of: path)
    }

    /// Cuts `path` to `length` bytes, writes `contents` after them and `fsync(2)`s the file:
    /// a journal's append. A crash in between leaves the file cut at `length` or holding part
    /// of `contents`; a reader stops at the boundary it trusts (see ``AppliedZone``).
    public static func append(_ path: String, contents: [UInt8], at length: Int) throws(SystemError) {
        let fd = try retryingOnInterrupt("open", target: path) { open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW) }
        defer { close(fd) }
        try retryingOnInterrupt("ftruncate", target: path) { ftruncate(fd, off_t(length)) }
        var written = 0
        while written < contents.count {
            written += try retryingOnInterrupt("pwrite", target: path) {
                contents[written...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(length + written)) }
            }
        }
        try retryingOnInterrupt("fsync", target: path) { fsync(fd) }
    }

    /// The whole file, or `nil` when it does not exist; at most `limit` bytes (a larger
    /// file is an error, not a partial read).
    public static func read(_ path: String, limit: Int) throws(SystemError) -> [UInt8]? {
        let fd: Int32
        do {
            fd = try retryingOnInterrupt("open", target: path) { open(path, O_RDONLY | O_CLOEXEC) }
        } catch where error.errno == ENOENT {
            return nil
        }
        defer { close(fd) }
        var contents = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try retryingOnInterrupt("read", target: path) {
                chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if count == 0 { return contents }
            guard contents.count + count <= limit else {
                throw SystemError(operation: "read", target: path, errno: EFBIG)
            }
            contents.append(contentsOf: chunk[0..<count])
        }
    }

    /// Creates `path` and its parents with `mode` where they are missing.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode) == 0 { continue }
            let code = errno
            guard code == EEXIST else { throw SystemError(operation: "mkdir", target: prefix, errno: code) }
        }
    }

    /// Deletes the temporary files that processes killed mid-write left beside `path`.
    /// Returns how many were removed.
    @discardableResult
    public static func removeLeftovers(of path: String) -> Int {
        let directory = Self.directory(of: path)
        let prefix = String(temporaryPrefix(of: path).split(separator: "/").last ?? "")
        guard let dir = opendir(directory) else { return 0 }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(prefix) { names.append(name) }
        }
        return names.count { unlink(directory + "/" + $0) == 0 }
    }

    /// The directory that holds `path`.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func syncDirectory(of path: String) throws(SystemError) {
        let directory = Self.directory(of: path)
        let fd = try retryingOnInterrupt("open", target: directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        try retryingOnInterrupt("fsync", target: directory) { fsync(fd) }
    }
}
