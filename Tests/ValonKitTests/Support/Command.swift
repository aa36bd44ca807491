import Foundation
import Testing

/// Runs an external program (an oracle such as `wg`, `dig`, `etcdctl`) and captures
/// its output. Tests use real tools to check ValonKit from the outside.
struct Command {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    struct Failure: Error, CustomStringConvertible {
        var commandLine: String
        var result: Result
        var description: String {
            "`\(commandLine)` exited \(result.status): \(result.stderr.isEmpty ? result.stdout : result.stderr)"
        }
    }

    /// Runs `arguments[0]` (looked up in PATH) with the rest as arguments, feeding `input`
    /// to its standard input. Does not throw on a non-zero exit; see ``check(_:input:)``.
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> Result {
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
    static func check(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) throws -> String {
        let result = try run(arguments, input: input, environment: environment)
        guard result.status == 0 else {
            throw Failure(commandLine: arguments.joined(separator: " "), result: result)
        }
        return result.stdout
    }
}

/// A mutable value shared with a closure on another thread, guarded by a lock.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
