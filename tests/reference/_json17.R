# Minimal JSON writer with 17 significant digits (jsonlite stops at 15).
# Named list -> object, unnamed list -> array, numeric/logical/character vector of
# length 1 -> scalar, longer -> array; NA/NaN/Inf -> null.
json17 <- function(x) {
  scalar <- function(v) {
    if (is.null(v) || (length(v) == 1 && is.na(v))) return("null")
    if (is.logical(v)) return(if (v) "true" else "false")
    if (is.numeric(v)) return(if (is.finite(v)) sprintf("%.17g", v) else "null")
    paste0('"', gsub('"', '\\\\"', gsub("\\\\", "\\\\\\\\", as.character(v))), '"')
  }
  if (is.list(x)) {
    parts <- vapply(x, json17, "")
    if (!is.null(names(x))) {
      return(paste0("{", paste0('"', names(x), '": ', parts, collapse = ", "), "}"))
    }
    return(paste0("[", paste(parts, collapse = ", "), "]"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (length(x) == 1 && is.null(names(x))) return(scalar(x))
  if (!is.null(names(x))) return(json17(as.list(x)))
  paste0("[", paste(vapply(seq_along(x), function(i) scalar(x[[i]]), ""), collapse = ", "), "]")
}
write_json17 <- function(x, path) writeLines(json17(x), path)
