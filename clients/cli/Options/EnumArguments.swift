import ArgumentParser
import CFSPProtocol
import Core
import Kernels

// The protocol's enums as option values: ArgumentParser lists the accepted values in the help
// and in the error for any other (`--method wanda`), before anything is sent.

extension PruningMethod: ExpressibleByArgument {}
extension BlockMetric: ExpressibleByArgument {}
extension BudgetRule: ExpressibleByArgument {}
extension Compensation: ExpressibleByArgument {}
extension PruningStructure: ExpressibleByArgument {}
extension PruningTarget: ExpressibleByArgument {}
extension RankAllocation: ExpressibleByArgument {}
extension FineTuneObjective: ExpressibleByArgument {}
extension ExportPrecision: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}
extension TextFormat: ExpressibleByArgument {}
