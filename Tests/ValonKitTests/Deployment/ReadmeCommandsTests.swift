import Foundation
import Testing

/// The README's two commands as a root user types them on a machine without `sudo`
/// (issue 13): no command shown in README.md or docs/ starts with `sudo`, no script tells
/// its user to use it, and the two commands are the repository's scripts, run verbatim.
@Suite("README commands without sudo", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ReadmeCommandsRootTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func files(under directory: String, suffix: String) -> [URL] {
        let base = root.appendingPathComponent(directory)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.path.hasSuffix(suffix) && !$0.path.contains("/.build") }
    }

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// The commands of the README's "Two commands" block: its non-comment lines.
    static func twoCommands() throws -> [String] {
        let readme = try text(root.appendingPathComponent("README.md"))
        let section = try #require(readme.components(separatedBy: "## Two commands").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```").dropFirst().first)
        return block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") && $0 != "sh" }
    }

    @Test("the two commands are the scripts themselves, said to be run as root")
    func twoCommandsAreVerbatimScripts() throws {
        #expect(try Self.twoCommands() == ["./Examples/mesh-demo.sh", "scripts/test.sh"])
        for command in try Self.twoCommands() {
            #expect(FileManager.default.isExecutableFile(atPath: Self.root.appendingPathComponent(command).path), "\(command)")
        }
        let readme = try Self.text(Self.root.appendingPathComponent("README.md"))
        #expect(readme.contains("On a fresh Debian 12 machine, as root"))
    }

    @Test("no command in README.md or docs/ starts with sudo, no script suggests it")
    func noSudo() throws {
        var offenders: [String] = []
        let documents = [Self.root.appendingPathComponent("README.md")] + Self.files(under: "docs", suffix: ".md")
        for file in documents {
            for (number, line) in try Self.text(file).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                // A command line in a code block, or a command in inline code.
                if trimmed.hasPrefix("sudo ") || trimmed.hasPrefix("$ sudo ") || line.contains("`sudo ") {
                    offenders.append("\(file.lastPathComponent):\(number + 1): \(line)")
                }
            }
        }
        let scripts = Self.files(under: "scripts", suffix: ".sh") + Self.files(under: "Examples", suffix: ".sh")
            + [Self.root.appendingPathComponent("deployments/compose.yaml")]
        for file in scripts {
            for (number, line) in try Self.text(file).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.range(of: #"\bsudo\b"#, options: .regularExpression) != nil {
                offenders.append("\(file.path.dropFirst(Self.root.path.count + 1)):\(number + 1): \(line)")
            }
        }
        #expect(offenders.isEmpty, "\(offenders.joined(separator: "\n"))")
    }

    @Test("run verbatim by a user who is not root, each says to run it as root and not to use sudo")
    func notRoot() throws {
        for command in try Self.twoCommands() {
            // As the unprivileged user, from the repository, with a PATH that has no sudo.
            let result = try Command.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                          "env", "-C", Self.root.path, "PATH=/usr/bin:/bin", command])
            #expect(result.status == 1, "\(command): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("needs root"), "\(command): \(result.stderr)")
            #expect(result.stderr.contains("run it as root"), "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("sudo"), "\(command): \(result.stderr)")
        }
        // And as root the demo's help runs verbatim, naming no sudo.
        let help = try Command.run(["env", "-C", Self.root.path, "PATH=/usr/bin:/bin", "./Examples/mesh-demo.sh", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("as root:  ./Examples/mesh-demo.sh"))
        #expect(!help.stdout.contains("sudo"))
    }
}
