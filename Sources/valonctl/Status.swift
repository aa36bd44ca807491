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

    @Option(name: .customLong("dns-server"),
            help: ArgumentHelp("The DNS server to ask (ADDRESS or ADDRESS:PORT; default: wireguard.ip port 53).", valueName: "server"))
    var dnsServer: String?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        if let dnsServer, Endpoint(dnsServer: dnsServer) == nil {
            throw ValidationError("--dns-server \(dnsServer) is not ADDRESS or ADDRESS:PORT")
        }
    }

    func run() async throws {
        let admin = try options.administrator()
        let report = await admin.status(now: Output.now, dnsServer: dnsServer.flatMap { Endpoint(dnsServer: $0) })
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
