import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs an external program (an oracle such as `wg`, `dig`, `etcdctl`) and captures
/// its output. Tests use real tools to check ValonKit from the outside.
public struct Command {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var commandLine: String
        public var result: Result
        public var description: String {
            "`\(commandLine)` exited \(result.status): \(result.stderr.isEmpty ? result.stdout : result.stderr)"
        }
    }

    /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments, feeding `input`
    /// to its standard input. Does not throw on a non-zero exit; see ``check(_:input:)``.
    @discardableResult
    public static func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        // Close-on-exec pipes, made atomically: a long-lived child that another test spawns
        // at the same moment (wireguard-go, etcd) must not inherit a write end, or this
        // read would not see end-of-file until that child exits. (It happened: a test run
        // hung on `etcdctl`'s output held open by a wireguard-go.) The child's own 0, 1, 2
        // are duplicates, which do not keep the flag.
        let out = try ClosingPipe(), err = try ClosingPipe(), inp = try ClosingPipe()
        process.standardOutput = out.write
        process.standardError = err.write
        process.standardInput = inp.read
        try process.run()
        try out.write.close()
        try err.write.close()
        try inp.read.close()
        if let input { inp.write.write(Data(input.utf8)) }
        try inp.write.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errData = Locked(Data())
        let group = DispatchGroup()
        group.enter()
        // A thread of its own: the caller may itself hold a BlockingPool thread (offPool),
        // and a reader queued behind a full pool would never finish.
        Thread {
            errData.value = err.read.readDataToEndOfFile()
            group.leave()
        }.start()
        let outData = out.read.readDataToEndOfFile()
        group.wait()
        return Result(
            status: Self.reap(process),
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self)
        )
    }

    /// Waits for `process` with `waitpid` on its own PID and returns its exit status (or the
    /// signal that ended it). Foundation's `waitUntilExit()` on Linux can miss a child's exit
    /// and spin its run loop forever over the zombie: a CI run hung 13 minutes that way on
    /// `nsd-checkconf`. When Foundation has reaped the child first, its own status is used.
    static func reap(_ process: Process) -> Int32 {
        let pid = process.processIdentifier
        var raw: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &raw, 0) } while waited == -1 && errno == EINTR
        guard waited == pid else {
            process.waitUntilExit()
            return process.terminationStatus
        }
        // <sys/wait.h>: WIFEXITED is (status & 0x7f) == 0, WEXITSTATUS is (status >> 8) & 0xff,
        // WTERMSIG is status & 0x7f.
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    /// Runs the command and throws ``Failure`` unless it exits 0; returns its stdout.
    @discardableResult
    public static func check(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> String {
        let result = try run(arguments, input: input, environment: environment)
        guard result.status == 0 else {
            throw Failure(commandLine: arguments.joined(separator: " "), result: result)
        }
        return result.stdout
    }
}

/// A one-way channel whose two ends are close-on-exec from the start: a UNIX socket pair
/// made with `SOCK_CLOEXEC` (Glibc's module does not export `pipe2`).
struct ClosingPipe {
    let read: FileHandle
    let write: FileHandle

    init() throws {
        var descriptors: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "socketpair: errno \(errno)"])
        }
        read = FileHandle(fileDescriptor: descriptors[0], closeOnDealloc: true)
        write = FileHandle(fileDescriptor: descriptors[1], closeOnDealloc: true)
    }
}
