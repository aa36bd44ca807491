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
        var variables = environment
        variables["WG_PROCESS_FOREGROUND"] = "1"
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(implementation, [interface], environment: variables, newSession: true)
        } catch {
            throw ClientError(.userspace, "cannot start \(implementation) \(interface)", cause: error)
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
            getsockopt(fd, SOL_SOCKET, SocketOptionNumber.peerCredentials, &credentials, &length)
        }
        return credentials.pid
    }
}
