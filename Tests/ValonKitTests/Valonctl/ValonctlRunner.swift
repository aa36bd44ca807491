import Foundation
import Testing

/// Runs the built `valonctl` executable, as an operator would, and captures its exit
/// status, standard output and standard error.
///
/// The executable is found next to the test bundle (both live in SwiftPM's build
/// products directory, built by `swift build --build-tests`).
enum ValonctlRunner {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static let executable: Result<String, Missing> = {
        var candidates: [String] = []
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("valonctl").path)
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().appendingPathComponent("valonctl").path)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/valonctl").path)
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return .success(found)
        }
        return .failure(Missing(description: "no valonctl executable at \(candidates.joined(separator: ", ")); run `swift build --build-tests` first"))
    }()

    /// Runs `valonctl ARGS…`; `user` runs it as that uid/gid with no supplementary groups
    /// (`setpriv`), for permission tests.
    static func run(_ arguments: [String], input: String? = nil, user: (uid: Int, gid: Int)? = nil,
                    environment: [String: String]? = nil) throws -> Command.Result {
        let path = try executable.get()
        var command = [path] + arguments
        if let user {
            command = ["setpriv", "--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups"] + command
        }
        return try Command.run(command, input: input, environment: environment)
    }

    /// The unprivileged account tests run valonctl as.
    static let nobody = (uid: 65534, gid: 65534)
}
