import Testing
import ValonKit
import ValonTestSupport

/// The relay's rules for one pair (docs/ARCHITECTURE.md §10), datagram by datagram: which
/// WireGuard messages are recognised, which sources bind to which side, and why everything
/// else is dropped.
@Suite("Relay pair")
struct RelayPairTests {
    static let alice = try! WireGuardKey(bytes: [UInt8](repeating: 0xA1, count: 32))
    static let bob = try! WireGuardKey(bytes: [UInt8](repeating: 0xB0, count: 32))
    static let mallory = try! WireGuardKey(bytes: [UInt8](repeating: 0x66, count: 32))

    static let aliceNAT = Endpoint("203.0.113.10:40001")!
    static let aliceNewPort = Endpoint("203.0.113.10:40777")!
    static let bobNAT = Endpoint("198.51.100.20:51820")!
    static let outsider = Endpoint("192.0.2.99:51820")!

    /// A handshake message of `type` with `mac1` made for `receiver` (or garbage when nil).
    static func handshake(_ type: WireGuardMessageType, to receiver: WireGuardKey?, seed: UInt8 = 1) -> [UInt8] {
        let size = type == .initiation ? WireGuardMessageType.initiationSize : WireGuardMessageType.responseSize
        var message = [type.rawValue, 0, 0, 0] + (4..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
        let offset = size - 32
        let mac1 = receiver.map { WireGuardMAC1Key(receiver: $0).mac1(of: message)! } ?? [UInt8](repeating: 0xEE, count: 16)
        message.replaceSubrange(offset..<offset + 16, with: mac1)
        return message
    }

    static func data(_ payload: Int = 0) -> [UInt8] {
        [4, 0, 0, 0] + [UInt8](repeating: 0x5A, count: 12 + payload + 16)
    }

    static func pair() -> RelayPair {
        RelayPair(first: alice, addresses: [aliceNAT.address, IPAddress("192.168.1.10")!],
                  second: bob, addresses: [bobNAT.address])
    }

    // MARK: - Recognising WireGuard messages

    struct Shape: Sendable, CustomTestStringConvertible {
        var what: String
        var bytes: [UInt8]
        var type: WireGuardMessageType?
        var testDescription: String { what }
    }

    static let shapes: [Shape] = [
        Shape(what: "initiation, 148 bytes", bytes: handshake(.initiation, to: bob), type: .initiation),
        Shape(what: "response, 92 bytes", bytes: handshake(.response, to: bob), type: .response),
        Shape(what: "cookie reply, 64 bytes", bytes: [3, 0, 0, 0] + [UInt8](repeating: 1, count: 60), type: .cookieReply),
        Shape(what: "keepalive, 32 bytes", bytes: data(), type: .transportData),
        Shape(what: "data carrying 1,424 padded bytes", bytes: data(1424), type: .transportData),
        Shape(what: "initiation one byte short", bytes: Array(handshake(.initiation, to: bob).dropLast()), type: nil),
        Shape(what: "response with a byte more", bytes: handshake(.response, to: bob) + [0], type: nil),
        Shape(what: "data of a full-size packet, padded only up to the MTU (1420 + 32 bytes)", bytes: data(1420), type: .transportData),
        Shape(what: "data shorter than a keepalive", bytes: Array(data().prefix(31)), type: nil),
        Shape(what: "reserved bytes not zero", bytes: [4, 0, 1, 0] + [UInt8](repeating: 0, count: 28), type: nil),
        Shape(what: "type 5", bytes: [5, 0, 0, 0] + [UInt8](repeating: 0, count: 28), type: nil),
        Shape(what: "a DNS query", bytes: hexBytes("1234 0100 0001 0000 0000 0000 0376616c 00 0001 0001"), type: nil),
        Shape(what: "empty", bytes: [], type: nil),
    ]

    @Test(arguments: shapes)
    func messageType(_ shape: Shape) {
        #expect(WireGuardMessageType.of(shape.bytes) == shape.type)
    }

    @Test("mac1 matches Python's blake2s for a known key and message (WireGuard paper §5.4.4)")
    func mac1Vector() throws {
        let receiver = try WireGuardKey(bytes: [UInt8](repeating: 0x42, count: 32))
        let key = WireGuardMAC1Key(receiver: receiver)
        #expect(hexString(key.bytes) == "172c34d6807bd7acef1a2471f20e928626c23ce0b9f90b326cf5f82d12480a4e")
        let message = [UInt8]([1, 0, 0, 0]) + (4..<148).map { UInt8(($0 * 7) % 256) }
        #expect(hexString(key.mac1(of: message)!) == "1b17aff89bd106a2100ee3493dc331b4")
        #expect(!key.validates(message), "the message does not carry that mac1 yet")
        var signed = message
        signed.replaceSubrange(116..<132, with: key.mac1(of: message)!)
        #expect(key.validates(signed))
        signed[20] ^= 1
        #expect(!key.validates(signed), "a changed byte before mac1 breaks it")
    }

    // MARK: - Binding and forwarding

    /// One datagram of a scripted exchange and what the relay must decide.
    struct Step: Sendable {
        var from: Endpoint
        var bytes: [UInt8]
        var decision: RelayDecision
    }

    struct Script: Sendable, CustomTestStringConvertible {
        var what: String
        var steps: [Step]
        var testDescription: String { what }
    }

    static let scripts: [Script] = [
        Script(what: "both sides bind with their handshakes, then data flows both ways", steps: [
            Step(from: aliceNAT, bytes: handshake(.initiation, to: bob), decision: .drop(.peerNotBound, bound: true)),
            Step(from: bobNAT, bytes: handshake(.initiation, to: alice), decision: .forward(to: aliceNAT, type: .initiation, bound: true)),
            Step(from: aliceNAT, bytes: handshake(.response, to: bob), decision: .forward(to: bobNAT, type: .response, bound: false)),
            Step(from: aliceNAT, bytes: data(64), decision: .forward(to: bobNAT, type: .transportData, bound: false)),
            Step(from: bobNAT, bytes: data(), decision: .forward(to: aliceNAT, type: .transportData, bound: false)),
        ]),
        Script(what: "data before any handshake is dropped as unbound", steps: [
            Step(from: aliceNAT, bytes: data(), decision: .drop(.unboundSource)),
            Step(from: bobNAT, bytes: [3, 0, 0, 0] + [UInt8](repeating: 1, count: 60), decision: .drop(.unboundSource)),
        ]),
        Script(what: "an outsider's valid handshake binds nothing", steps: [
            Step(from: outsider, bytes: handshake(.initiation, to: bob), decision: .drop(.unknownSource)),
            Step(from: outsider, bytes: data(), decision: .drop(.unknownSource)),
        ]),
        Script(what: "a handshake from Alice's address made for Mallory does not bind", steps: [
            Step(from: aliceNAT, bytes: handshake(.initiation, to: mallory), decision: .drop(.badMAC1)),
            Step(from: aliceNAT, bytes: handshake(.initiation, to: nil), decision: .drop(.badMAC1)),
        ]),
        Script(what: "a handshake made for Alice from Alice's own address binds nothing (it is not for the other side)", steps: [
            Step(from: aliceNAT, bytes: handshake(.initiation, to: alice), decision: .drop(.badMAC1)),
        ]),
        Script(what: "Alice roams to a new port: her next handshake rebinds, the old port gets nothing more", steps: [
            Step(from: aliceNAT, bytes: handshake(.initiation, to: bob), decision: .drop(.peerNotBound, bound: true)),
            Step(from: bobNAT, bytes: handshake(.initiation, to: alice), decision: .forward(to: aliceNAT, type: .initiation, bound: true)),
            Step(from: aliceNewPort, bytes: data(), decision: .drop(.unboundSource)),
            Step(from: aliceNewPort, bytes: handshake(.initiation, to: bob, seed: 9), decision: .forward(to: bobNAT, type: .initiation, bound: true)),
            Step(from: bobNAT, bytes: data(), decision: .forward(to: aliceNewPort, type: .transportData, bound: false)),
        ]),
        Script(what: "something that is not WireGuard is dropped before anything else", steps: [
            Step(from: aliceNAT, bytes: Array("GET / HTTP/1.1\r\n\r\n".utf8), decision: .drop(.notWireGuard)),
            Step(from: outsider, bytes: [1, 0, 0, 0], decision: .drop(.notWireGuard)),
        ]),
        Script(what: "Alice on her LAN address binds too", steps: [
            Step(from: Endpoint("192.168.1.10:51820")!, bytes: handshake(.initiation, to: bob), decision: .drop(.peerNotBound, bound: true)),
            Step(from: bobNAT, bytes: handshake(.response, to: alice), decision: .forward(to: Endpoint("192.168.1.10:51820")!, type: .response, bound: true)),
        ]),
    ]

    @Test(arguments: scripts)
    func exchange(_ script: Script) {
        var pair = Self.pair()
        for (index, step) in script.steps.enumerated() {
            let decision = pair.route(step.bytes, from: step.from, now: Double(index))
            #expect(decision == step.decision, "step \(index + 1) from \(step.from)")
        }
    }

    @Test("both peers behind one NAT address: mac1 tells the sides apart")
    func oneAddressTwoSides() {
        let shared = IPAddress("203.0.113.10")!
        var pair = RelayPair(first: Self.alice, addresses: [shared], second: Self.bob, addresses: [shared])
        let alicePort = Endpoint(address: shared, port: 40001), bobPort = Endpoint(address: shared, port: 40002)
        #expect(pair.route(Self.handshake(.initiation, to: Self.alice), from: bobPort, now: 0) == .drop(.peerNotBound, bound: true))
        #expect(pair.second.bound == bobPort)
        #expect(pair.route(Self.handshake(.response, to: Self.bob), from: alicePort, now: 0)
                == .forward(to: bobPort, type: .response, bound: true))
        #expect(pair.first.bound == alicePort)
    }

    @Test("the registry moving a peer unbinds its old source until it proves itself again")
    func addressUpdateUnbinds() {
        var pair = Self.pair()
        _ = pair.route(Self.handshake(.initiation, to: Self.bob), from: Self.aliceNAT, now: 0)
        _ = pair.route(Self.handshake(.initiation, to: Self.alice), from: Self.bobNAT, now: 0)
        pair.update(addresses: [IPAddress("198.51.100.20")!], of: Self.bob)
        #expect(pair.second.bound == Self.bobNAT, "an address still observed keeps its binding")
        pair.update(addresses: [IPAddress("203.0.113.200")!], of: Self.alice)
        #expect(pair.first.bound == nil)
        #expect(pair.route(Self.data(), from: Self.bobNAT, now: 1) == .drop(.peerNotBound))
        #expect(pair.route(Self.handshake(.initiation, to: Self.bob), from: Self.aliceNAT, now: 1) == .drop(.unknownSource))
    }

    @Test("a flood of handshakes from an observed address costs a bounded number of checks")
    func floodIsBounded() {
        var pair = Self.pair()
        var decisions: [RelayDecision] = []
        for _ in 0..<1000 { decisions.append(pair.route(Self.handshake(.initiation, to: Self.mallory), from: Self.aliceNAT, now: 0)) }
        #expect(decisions.filter { $0 == .drop(.badMAC1) }.count == Int(RelayPair.checkBurst))
        #expect(decisions.filter { $0 == .drop(.rateLimited) }.count == 1000 - Int(RelayPair.checkBurst))
        // A second later the budget has refilled, and a real handshake binds.
        #expect(pair.route(Self.handshake(.initiation, to: Self.bob), from: Self.aliceNAT, now: 1) == .drop(.peerNotBound, bound: true))
    }
}
