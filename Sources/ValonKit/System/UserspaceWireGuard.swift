#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Starts and stops a userspace WireGuard implementation (`wireguard-go`, or the one named
/// by `WG_QUICK_USERSPACE_IMPLEMENTATION`) the way `wg-quick` does where the kernel has no
/// WireGuard: `IMPLEMENTATION NAME`, then wait for its UAPI socket
/// `/var/run/wireguard/NAME.sock` (https://www.wireguard.com/xplatform/).
///
/// The process is started in a session of its own with `WG_PROCESS_FOREGROUND=1`, so that
/// its PID is known; the PID recorded is the one that serves the socket (`SO_PEERCRED`,
/// socket(7)), which stays right even for an implementation that forks anyway.
public enum UserspaceWireGuard {
    /// The implementation to start: `$WG_QUICK_USERSPACE_IMPLEMENTATION`, else `wireguard-go`.
    public static func implementation(environment: [String: String]) -> String {
        environment["WG_QUICK_USERSPACE_IMPLEMENTATION"].flatMap { $0.isEmpty ? nil : $0 } ?? "wireguard-go"
    }

    /// Starts `implementation NAME` and returns the PID serving the socket once the socket
    /// answers (within `timeout`).
    public static func start(_ implementation: String, interface: String, backend: WireGuardUAPIBackend,
                             environment: [String: String], timeout: Duration = .seconds(10)) throws(ClientError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Nothing else is inherited: a pipe of whoever ran us must see EOF when we exit.
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session of its own (POSIX_SPAWN_SETSID, glibc 2.26), an empty signal mask and default
        // dispositions: the caller's thread may block SIGTERM, and the child must not inherit that.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(0x80 | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var variables = environment
        variables["WG_PROCESS_FOREGROUND"] = "1"
        let arguments = [implementation, interface]
        let environmentStrings = variables.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environmentStrings) { envp in
                posix_spawnp(&pid, implementation, &actions, &attributes, argv, envp)
            }
        }
        guard status == 0 else {
            throw ClientError(.userspace, "cannot start \(implementation) \(interface)",
                              cause: SystemError(operation: "posix_spawnp", target: implementation, errno: status))
        }

        let deadline = ContinuousClock.now + timeout
        var exited = false
        while ContinuousClock.now < deadline {
            if !exited {
                var exitStatus: Int32 = 0
                if waitpid(pid, &exitStatus, WNOHANG) == pid {
                    exited = true
                    // An implementation that daemonizes exits 0 here and its child serves the socket.
                    if exitStatus != 0 {
                        throw ClientError(.userspace, "\(implementation) \(interface) exited with status \(exitStatus >> 8) before its socket \(backend.socketPath(for: interface)) appeared")
                    }
                }
            }
            if backend.hasSocket(for: interface), (try? backend.device(named: interface)) != nil {
                return (try? peerProcess(of: backend.socketPath(for: interface))) ?? pid
            }
            usleep(20_000)
        }
        if !exited { kill(pid, SIGTERM) }
        throw ClientError(.userspace, "\(implementation) \(interface): no control socket \(backend.socketPath(for: interface)) after \(timeout)")
    }

    /// Stops the process `pid` (SIGTERM, SIGKILL after 5 s) if it is still running.
    public static func stop(pid: Int32) {
        guard pid > 0, kill(pid, 0) == 0 else { return }
        kill(pid, SIGTERM)
        for _ in 0..<250 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || kill(pid, 0) != 0 { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(10_000) }
    }

    /// Whether `pid` is alive and its command (`/proc/PID/comm`) is `implementation`'s
    /// (the first 15 characters of its file name), so a recycled PID is never signalled.
    public static func isRunning(pid: Int32, implementation: String) -> Bool {
        guard pid > 0, kill(pid, 0) == 0,
              let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
        let name = String((implementation.split(separator: "/").last.map(String.init) ?? implementation).prefix(15))
        return comm.trimmingCharacters(in: .whitespacesAndNewlines) == name
    }

    /// The PID of the process that listens on the UNIX socket `path` (`SO_PEERCRED`).
    static func peerProcess(of path: String) throws(SystemError) -> Int32 {
        let fd = try retryingOnInterrupt("socket", target: path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes + [0])
        }
        try retryingOnInterrupt("connect", target: path) {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (<sys/socket.h>, _GNU_SOURCE).
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(12)
        try retryingOnInterrupt("getsockopt(SO_PEERCRED)", target: path) {
            getsockopt(fd, SOL_SOCKET, 17 /* SO_PEERCRED */, &credentials, &length)
        }
        return credentials.pid
    }

    /// This process's open descriptors (`/proc/self/fd`), except the one used to list them.
    private static func openDescriptors() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.compactMap(Int32.init).filter { fcntl($0, F_GETFD) != -1 }
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
