import Foundation
import Testing
import ValonKit

/// The real `valonctl` binary with `--config` and `--json` before and after the
/// subcommand (the original's operators type `valonctl --config FILE peer list`), against
/// a real etcd and wireguard-go; etcdctl checks what each order wrote.
@Suite("valonctl global options in either order", .tags(.process, .root), .timeLimit(.minutes(10)))
struct ValonctlGlobalOptionRootTests {
    @Test("peer add, peer list, peer show, peer export and status: both orders do the same")
    func bothOrders() async throws {
        let health = try ValonctlStatusRootTests.HealthServer()
        defer { health.stop() }
        let dns = try ValonctlStatusRootTests.dnsServer()
        defer { dns.stop() }
        let node = try await ValonctlFixture(apiURL: health.url)
        defer { node.shutdown() }
        let config = node.configPath
        let first = try newPublicKey(), second = try newPublicKey()

        // peer add: --config before, then after. Each lands in this fixture's etcd (on
        // its own port, so the default /etc/valon/valonctl.yml could not have served).
        let before = try ValonctlRunner.run(["--config", config, "peer", "add", first.base64, "--alias", "front"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.contains("✓ Successfully added peer \(first.base64) (alias: front, IP: 100.100.0.2)"))
        let after = try ValonctlRunner.run(["peer", "add", second.base64, "--alias", "back", "--config", config])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try node.etcd.etcdctl(["get", "/valon/aliases/front", "--print-value-only"]) == first.base64 + "\n")
        #expect(try node.etcd.etcdctl(["get", "/valon/aliases/back", "--print-value-only"]) == second.base64 + "\n")
        #expect(try node.registry()["/valon/peers/\(second.base64)/wg_ip"] == "100.100.0.3")
        // --json and --config=FILE before: JSON out.
        let third = try newPublicKey()
        let json = try ValonctlRunner.run(["--json", "--config=\(config)", "peer", "add", third.base64, "--alias", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let added = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((added["peer"] as? [String: Any])?["alias"] as? String == "json")

        // Read-only commands: every order prints the same bytes and exits the same.
        let orders: [(String, [[String]])] = [
            ("peer list", [["--config", config, "peer", "list"], ["peer", "list", "--config", config],
                           ["peer", "--config", config, "list"]]),
            ("peer list --json", [["--json", "--config", config, "peer", "list"], ["peer", "list", "--json", "--config", config],
                                  ["--config", config, "peer", "list", "--json"]]),
            ("peer show", [["--config", config, "peer", "show", "front"], ["peer", "show", "front", "--config", config]]),
            ("peer export", [["--config", config, "peer", "export"], ["peer", "export", "--config", config]]),
            ("status", [["--config", config, "status", "--dns-server", dns.endpointText],
                        ["status", "--dns-server", dns.endpointText, "--config", config]]),
            ("status --json", [["--config", config, "--json", "status", "--dns-server", dns.endpointText],
                               ["status", "--json", "--dns-server", dns.endpointText, "--config", config]]),
        ]
        for (name, variants) in orders {
            let results = try variants.map { try ValonctlRunner.run($0) }
            for (variant, result) in zip(variants, results) {
                #expect(result.status == 0, "\(variant): \(result.stderr)")
                #expect(result.stdout == results[0].stdout, "\(name): \(variant) printed otherwise than \(variants[0])")
                #expect(result.stderr == results[0].stderr, "\(name): \(variant)")
            }
        }
        let list = try ValonctlRunner.run(["--config", config, "peer", "list"])
        #expect(list.stdout.contains("front") && list.stdout.contains("back") && list.stdout.contains(second.base64))
        let export = try ValonctlRunner.run(["--config", config, "peer", "export"])
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [[String: String]])
        #expect(Set(exported.compactMap { $0["alias"] }) == ["front", "back", "json"])
        let status = try ValonctlRunner.run(["--config", config, "status", "--dns-server", dns.endpointText])
        #expect(status.stdout.contains("registered peers: 3"), "\(status.stdout)")

        // peer export FILE and peer remove with --config before.
        let file = node.directory + "/peers.json"
        #expect(try ValonctlRunner.run(["--config", config, "peer", "export", file]).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == export.stdout)
        let removed = try ValonctlRunner.run(["--config", config, "peer", "remove", "json"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try node.registry()["/valon/aliases/json"] == nil)
    }

    @Test("a missing file named before the subcommand is the file read: exit 2 naming it, in both orders")
    func configIsHonoured() async throws {
        let missing = "/nonexistent-\(randomSuffix())/valonctl.yml"
        let before = try ValonctlRunner.run(["--config", missing, "peer", "list"])
        let after = try ValonctlRunner.run(["peer", "list", "--config", missing])
        #expect(before.status == after.status)
        #expect(before.status != 0)
        #expect(before.stderr.contains(missing), "\(before.stderr)")
        #expect(before.stderr == after.stderr)
    }

    @Test("usage errors are the same in both orders; --help lists --config once")
    func usageAndHelp() throws {
        // A command that takes no global options refuses them in either order.
        let before = try ValonctlRunner.run(["--config", "/x", "genkey"])
        let after = try ValonctlRunner.run(["genkey", "--config", "/x"])
        #expect(before.status == 2)
        #expect(before.status == after.status)
        #expect(before.stderr.contains("Unknown option '--config'"), "\(before.stderr)")
        #expect(before.stderr == after.stderr)

        for arguments in [["peer", "list", "--help"], ["--config", "/x", "peer", "list", "--help"], ["help", "peer", "list"]] {
            let help = try ValonctlRunner.run(arguments)
            #expect(help.status == 0, "\(arguments): \(help.stderr)")
            #expect(help.stdout.components(separatedBy: "--config <path>").count - 1 == 2,
                    "\(arguments): the usage line and the option list, once each:\n\(help.stdout)")
            #expect(help.stdout.components(separatedBy: "The valonctl.yml to read.").count - 1 == 1)
            #expect(help.stdout.components(separatedBy: "Print JSON instead of text.").count - 1 == 1)
            #expect(help.stdout.contains("USAGE: valonctl peer list [--config <path>] [--json]\n"))
        }
        let root = try ValonctlRunner.run(["--help"])
        #expect(root.status == 0)
        #expect(root.stdout.contains("Global options, before or after the subcommand"), "\(root.stdout)")
    }
}
