import { listKargs, updateKargs } from "@particle/bootc";
import { defineCommand, stringList } from "@particle/cli-kit";
import { sysrootHelp, sysrootOf, sysrootOption } from "./context.js";

export const kargsCommand = defineCommand({
  path: ["kargs"],
  summary: "List or edit the default deployment's kernel arguments (from its next boot)",
  options: {
    ...sysrootOption,
    append: { type: "string", multiple: true },
    delete: { type: "string", multiple: true },
    replace: { type: "string", multiple: true },
    list: { type: "boolean" },
  },
  optionHelp: {
    ...sysrootHelp,
    append: "add NAME or NAME=VALUE (repeatable)",
    delete: "remove NAME (every value) or NAME=VALUE (repeatable)",
    replace: "NAME=VALUE replaces NAME; NAME=OLD=NEW replaces one value (repeatable)",
    list: "print the arguments (the default without other options)",
  },
  async run(ctx, parsed) {
    const sysroot = await sysrootOf(ctx, parsed);
    const edit = {
      append: stringList(parsed, "append"),
      delete: stringList(parsed, "delete"),
      replace: stringList(parsed, "replace"),
    };
    const editing = edit.append.length + edit.delete.length + edit.replace.length > 0;
    const result = editing ? await updateKargs(sysroot, edit) : await listKargs(sysroot);
    ctx.out.result("KernelArguments", result, (r) => r.kargs.join(" "));
    return 0;
  },
});
