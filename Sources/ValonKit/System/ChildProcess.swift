#if canImport(Glibc)
import Glibc
#endif
import CMnl
import Foundation

/// The one way VALON starts a program (posix_spawn(3)), for a daemon's child that must not
/// inherit anything of its parent's: standard input, output and error on `/dev/null`,
/// every other open descriptor closed (a pipe of whoever ran the parent must see end-of-file
/// when the parent exits, whatever the child does), an empty signal mask and default
/// dispositions for every signal (the spawning thread may block SIGTERM, and Foundation's
/// `Process` passes that on), and optionally a session of its own (`POSIX_SPAWN_SETSID`).
/// `UserspaceWireGuard` starts wireguard-go with it; the tests start NSD and followers.
public enum ChildProcess {
    /// Starts `program` (searched in `PATH` when it has no `/`) with `arguments` (without
    /// argv[0]) and `environment` (`nil`: this process's), and returns its PID.
    public static func spawn(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                             newSession: Bool = false) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Glibc's Swift module lacks posix_spawn_file_actions_addclosefrom_np: close each one.
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= valon_posix_spawn_setsid }
        posix_spawnattr_setflags(&attributes, flags)

        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings([program] + arguments) { argv in
            withCStrings(variables) { envp in
                posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
            }
        }
        guard status == 0 else { throw SystemError(operation: "posix_spawnp", target: program, errno: status) }
        return pid
    }

    /// This process's open descriptors (`/proc/self/fd`), except the one used to list them.
    static func openDescriptors() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.compactMap(Int32.init).filter { fcntl($0, F_GETFD) != -1 }
    }

    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}

/// Socket options Glibc's Swift module does not export (socket(7)), from the C shim.
public enum SocketOptionNumber {
    /// `SO_PEERCRED`: the credentials of a UNIX socket's peer.
    public static let peerCredentials = CInt(valon_so_peercred)
    /// `SO_BINDTODEVICE`: bind a socket to one interface.
    public static let bindToDevice = CInt(valon_so_bindtodevice)
}
