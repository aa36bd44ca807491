import Foundation

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
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errData = LockedBox(Data())
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self)
        )
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

/// A mutable value shared with a closure on another thread, guarded by a lock.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    public init(_ value: Value) { _value = value }
    public var value: Value {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
