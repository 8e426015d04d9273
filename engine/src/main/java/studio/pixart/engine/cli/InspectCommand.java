package studio.pixart.engine.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import studio.pixart.engine.io.Json;
import studio.pixart.engine.model.ModelInspection;
import studio.pixart.engine.model.ModelLocator;
import studio.pixart.engine.model.PipelineFolder;

@Command(name = "inspect", description = "Show a model's components, variant, parameters, dtypes, size and problems.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "pipeline folder or hub model id")
    String model;

    @Option(names = "--base", paramLabel = "MODEL", description = "where components missing from MODEL come from")
    String base;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Option(names = "--deep", description = "also load every component and scan every weight for NaN, Inf and overflow-sized values (reads all weights)")
    boolean deep;

    @Override
    public Integer call() {
        ModelLocator locator = new ModelLocator();
        if (base != null) {
            locator.locate(base); // a --base that does not exist is an error even when nothing is taken from it
        }
        ModelInspection info = ModelInspection.of(PipelineFolder.open(model, base, locator), true, deep);
        spec.commandLine().getOut().print(json ? Json.write(info) + "\n" : info.toText());
        spec.commandLine().getOut().flush();
        return info.problems().isEmpty() ? 0 : 2;
    }
}
