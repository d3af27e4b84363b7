import Core
import Kernels
import RPC

// The enums of Core (and the framing of RPC) travel as their raw values; decoding errors list
// every accepted value.

extension PruningMethod: WireEnum {}
extension BlockMetric: WireEnum {}
extension BudgetRule: WireEnum {}
extension Compensation: WireEnum {}
extension PruningStructure: WireEnum {}
extension PruningTarget: WireEnum {}
extension RankAllocation: WireEnum {}
extension FineTuneObjective: WireEnum {}
extension ExportPrecision: WireEnum {}
extension ModelFormat: WireEnum {}
extension WeightPrecision: WireEnum {}
extension Framing: WireEnum {}
extension FinishReason: WireEnum {}
