// The Worker's exports.
import { createApp } from "./app";

const app = createApp();

export default app;
export { StudentTemplates } from "./durable-objects/student-templates";
