#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Controls userspace WireGuard implementations (`wireguard-go`) through their control
/// sockets `DIRECTORY/NAME.sock`, with the text protocol of ``WireGuardUAPI``.
///
/// Each call opens its own connection. ``apply(_:to:)`` writes the whole update as one
/// `set=1` request after validating it, so an update the implementation would refuse
/// half-way is refused before a byte is sent.
public struct WireGuardUAPIBackend: WireGuardBackend {
    /// Where the sockets live; ``WireGuardUAPI/defaultSocketDirectory`` unless a test or an
    /// unusual system says otherwise.
    public var socketDirectory: String
    /// How long one read or write may wait for the implementation.
    public var timeoutSeconds: Int

    public init(socketDirectory: String = WireGuardUAPI.defaultSocketDirectory, timeoutSeconds: Int = 60) {
        self.socketDirectory = socketDirectory
        self.timeoutSeconds = timeoutSeconds
    }

    /// The socket path of the interface `name`.
    public func socketPath(for name: String) -> String {
        "\(socketDirectory)/\(name).sock"
    }

    /// Whether a socket file exists for `name` (the implementation may still be gone).
    public func hasSocket(for name: String) -> Bool {
        guard WireGuardInterfaceName.isValid(name) else { return false }
        var info = stat()
        let path = socketPath(for: name)
        guard (try? retryingOnInterrupt("stat", target: path, { stat(path, &info) })) != nil else { return false }
        return info.st_mode & S_IFMT == S_IFSOCK
    }

    /// The names of the `*.sock` sockets in ``socketDirectory``, sorted; none when the
    /// directory does not exist.
    public func listDevices() throws(WireGuardError) -> [String] {
        guard let directory = opendir(socketDirectory) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return [] }
            throw WireGuardError(code == EACCES ? .permissionDenied : .system, operation: "list", device: socketDirectory,
                                 "cannot read the socket directory",
                                 cause: SystemError(operation: "opendir", target: socketDirectory, errno: code))
        }
        defer { closedir(directory) }
        var names = [String]()
        while let entry = readdir(directory) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard file.hasSuffix(".sock") else { continue }
            let name = String(file.dropLast(5))
            if hasSocket(for: name) { names.append(name) }
        }
        return names.sorted()
    }

    public func device(named name: String) throws(WireGuardError) -> WireGuardDevice {
        try WireGuardInterfaceName.validate(name, operation: "get")
        let reply = try connection(name, "get").exchange(WireGuardUAPI.getRequest)
        return try WireGuardUAPI.parseGetReply(reply, device: name)
    }

    public func apply(_ update: WireGuardDevice, to name: String) throws(WireGuardError) {
        try WireGuardInterfaceName.validate(name, operation: "set")
        try WireGuardUAPI.validate(update, device: name)
        let reply = try connection(name, "set").exchange(WireGuardUAPI.setRequest(for: update))
        try WireGuardUAPI.parseSetReply(reply, device: name)
    }

    private func connection(_ name: String, _ operation: String) -> WireGuardUAPIConnection {
        WireGuardUAPIConnection(path: socketPath(for: name), device: name, operation: operation, timeoutSeconds: timeoutSeconds)
    }
}
