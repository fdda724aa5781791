// Lints the UI's TypeScript: the rules of hooks (and the React compiler's checks that come with
// eslint-plugin-react-hooks' recommended set), plus typescript-eslint's recommended rules. Part
// of `npm test`, and so of scripts/test.sh.
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "src/bindings/", "src/commands.ts"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [tseslint.configs.recommended, reactHooks.configs.flat.recommended],
    rules: {
      // `_`-prefixed names are unused on purpose (a destructured field left out).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "react-hooks/exhaustive-deps": "error",
    },
  },
);
