import ArgumentParser
import ValonKit

/// `valonctl discovery …` (docs/ARCHITECTURE.md §11).
struct Discovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the discovery nodes registered on the etcd cluster.",
        subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every discovery node: key, address, endpoint, lease, and whether it answers DNS and the API.",
            discussion: """
                Each node registers itself under /valon/discovery/<key>/ on an etcd lease; a node \
                that stops cleanly leaves at once, one that dies when its lease expires. DNS and \
                API are probed at the node's WireGuard address (discovery.<zone> A, GET /health).

                Examples:
                  valonctl discovery list
                  valonctl discovery list --json | jq -r '.[] | select(.answers_dns | not) | .wg_ip'
                """)

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let admin = try options.administrator()
            let (nodes, problems) = try await admin.listDiscoveryNodes()
            for problem in problems { Output.warning(problem) }
            if options.json {
                Output.json(nodes)
                return
            }
            guard !nodes.isEmpty else {
                print("No discovery node is registered.")
                return
            }
            let rows = [["PUBKEY", "WG IP", "ENDPOINT", "LEASE TTL", "DNS", "API", ""]] + nodes.map { node in
                [node.publicKey, node.wgIP, node.endpoint ?? "-", node.leaseTTL.map { "\($0)s" } ?? "expired",
                 node.answersDNS ? "ok" : "DOWN", node.answersAPI ? "ok" : "DOWN", node.thisNode ? "(this node)" : ""]
            }
            var widths = [Int](repeating: 0, count: rows[0].count)
            for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
            for row in rows {
                let line = row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
                print(line.trimmingTrailingSpaces())
            }
            for node in nodes where !node.problems.isEmpty {
                Output.warning("\(node.wgIP): \(node.problems.joined(separator: "; "))")
            }
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
