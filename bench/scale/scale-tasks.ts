/** The `dxp worker --tasks` module of the scale benchmark: the benchmark's tasks as the default export the loader looks for. */
import { benchModule } from '../shared/bench-tasks';

export default benchModule;
