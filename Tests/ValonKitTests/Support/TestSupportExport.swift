// The shared real-process helpers (EtcdCluster, Command, NSDServer, SpawnedProcess, FreePort,
// LoopbackUDP, LoopbackTCP, NetworkNamespace, collect, eventually, Locked, hexBytes,
// WireGuardKey.repeating, the tags)
// live in the ValonTestSupport target; every file of this target sees them.
@_exported import ValonTestSupport
