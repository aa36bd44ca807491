import ArgumentParser
import ValonKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the discovery node: WireGuard interface, etcd, DDNS API, DNS.",
        discussion: """
            Checks each part on its own: the interface (key, port, peers, handshakes), every etcd \
            endpoint (reachable, leader, revision), the DDNS API's /health, and the DNS server's \
            answer for discovery.<zone>. Exits 9 when any check fails, naming each failure.

            Examples:
              valonctl status
              valonctl status --json | jq .problems
            """)

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let admin = try options.administrator()
        let report = await admin.status(now: Output.now)
        if options.json {
            Output.json(report)
        } else {
            print(StatusText.render(report, now: Output.now), terminator: "")
        }
        if !report.healthy {
            for problem in report.problems { Output.error(problem) }
            throw ExitCode(AdminError.Code.unhealthy.exitStatus)
        }
    }
}
