import Foundation
import Testing
import ValonKit

@Suite("valonctl genkey and pubkey", .tags(.process), .timeLimit(.minutes(10)))
struct ValonctlKeyProcessTests {
    @Test("valonctl genkey | valonctl pubkey agrees with wg pubkey")
    func agreesWithWireGuardTools() throws {
        for _ in 0..<5 {
            let generated = try ValonctlRunner.run(["genkey"])
            #expect(generated.status == 0)
            let privateKey = generated.stdout
            #expect(privateKey.count == 45 && privateKey.hasSuffix("\n"))
            let ours = try ValonctlRunner.run(["pubkey"], input: privateKey)
            #expect(ours.status == 0, "\(ours.stderr)")
            let theirs = try Command.check(["wg", "pubkey"], input: privateKey)
            #expect(ours.stdout == theirs)
        }
        // And the other way round: a key from wg genkey.
        let wgKey = try Command.check(["wg", "genkey"])
        #expect(try ValonctlRunner.run(["pubkey"], input: wgKey).stdout == Command.check(["wg", "pubkey"], input: wgKey))
    }

    @Test("pubkey on bad input exits 2 and never echoes the input", arguments: [
        "", "not base64 at all\n", "AAAA\n", "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=extra\n",
    ])
    func badInput(input: String) throws {
        let result = try ValonctlRunner.run(["pubkey"], input: input)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("valonctl: invalid private key on standard input"))
        if input.count > 4 { #expect(!result.stderr.contains(input.trimmingCharacters(in: .whitespacesAndNewlines))) }
    }

    @Test("help lists the exit statuses, examples and completion scripts; completion scripts generate")
    func helpAndCompletion() throws {
        let help = try ValonctlRunner.run(["--help"])
        #expect(help.status == 0)
        for status in AdminError.Code.allCases {
            #expect(help.stdout.contains("  \(status.exitStatus)  \(status.summary)"))
        }
        #expect(help.stdout.contains("valonctl peer add"))
        #expect(help.stdout.contains("--generate-completion-script"))
        let addHelp = try ValonctlRunner.run(["peer", "add", "--help"])
        #expect(addHelp.stdout.contains("--wg-ip <ip>"))
        #expect(addHelp.stdout.contains("--json"))
        for shell in ["bash", "zsh", "fish"] {
            let script = try ValonctlRunner.run(["--generate-completion-script", shell])
            #expect(script.status == 0)
            #expect(script.stdout.contains("peer"))
        }
    }
}
