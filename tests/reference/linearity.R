# Reference values for the binning-estimator linearity check (probe --check-linearity).
# Run once from the repository root:  Rscript tests/reference/linearity.R
# Writes linearity.json (17 significant digits).  Independent path: bins from R's
# quantile(type = 7) and cut(include.lowest = TRUE), the Hainmueller, Mummolo & Xu (2019)
# pooled model fitted by lm(), the nested Wald test in interflex's parameterisation
# (linear model + G_j, G_j X, G_j W, G_j X W for j >= 2, R/binning.R), clubSandwich CR2
# (Satterthwaite, HTZ) and sandwich CR1 / HC3.
source("tests/reference/_json17.R")
suppressMessages({library(sandwich); library(clubSandwich)})

binned <- function(d, K) {
  cuts <- quantile(d$w, probs = seq(0, 1, length.out = K + 1), type = 7)
  d$bin <- cut(d$w, breaks = cuts, include.lowest = TRUE, labels = FALSE)
  # The nested test uses W centred at its median: the same model (the test is invariant to
  # this reparameterisation in exact arithmetic), but with raw W (age 8-18 on Blackmore)
  # clubSandwich's HTZ statistic loses 1e-4 to rounding; centred, it agrees with the
  # package's bin-median parameterisation to 1e-11.
  d$wc <- d$w - median(d$w)
  med <- tapply(d$w, d$bin, median)
  for (j in 1:K) {
    g <- as.numeric(d$bin == j)
    d[[paste0("g", j)]] <- g; d[[paste0("xg", j)]] <- g * d$x
    d[[paste0("dw", j)]] <- g * (d$w - med[j]); d[[paste0("xdw", j)]] <- g * d$x * (d$w - med[j])
    d[[paste0("G", j)]] <- g; d[[paste0("GX", j)]] <- g * d$x
    d[[paste0("GW", j)]] <- g * d$wc; d[[paste0("GXW", j)]] <- g * d$x * d$wc
  }
  list(d = d, med = as.numeric(med), n = as.numeric(table(d$bin)))
}

coefs <- function(fit, terms, type, cl) {
  if (type == "CR2") {
    ct <- coef_test(fit, vcov = "CR2", cluster = cl, test = "Satterthwaite")
    rows <- match(terms, names(coef(fit)))
    return(list(estimate = ct$beta[rows], std_error = ct$SE[rows], df = ct$df_Satt[rows],
                p_value = ct$p_Satt[rows]))
  }
  V <- switch(type, ols = vcov(fit), HC3 = vcovHC(fit, type = "HC3"),
              CR1 = vcovCL(fit, cluster = cl, type = "HC1"))
  df <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  b <- coef(fit)[terms]; se <- sqrt(diag(V))[terms]
  list(estimate = unname(b), std_error = unname(se), df = rep(df, length(terms)),
       p_value = unname(2 * pt(-abs(b / se), df)))
}

wald <- function(fit, terms, type, cl) {
  if (type == "CR2") {
    w <- Wald_test(fit, constrain_zero(terms), vcov = "CR2", cluster = cl, test = "HTZ")
    return(list(statistic = w$Fstat, df_num = w$df_num, df_den = w$df_denom, p_value = w$p_val))
  }
  V <- switch(type, ols = vcov(fit), HC3 = vcovHC(fit, type = "HC3"),
              CR1 = vcovCL(fit, cluster = cl, type = "HC1"))
  b <- coef(fit)[terms]; q <- length(terms)
  chi2 <- as.numeric(t(b) %*% solve(V[terms, terms], b))
  df2 <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  list(statistic = chi2 / q, df_num = q, df_den = df2, p_value = pf(chi2 / q, q, df2, lower.tail = FALSE),
       chi2 = chi2, p_value_chi2 = pchisq(chi2, q, lower.tail = FALSE))
}

case <- function(d, K, type, cl = NULL) {
  b <- binned(d, K); d <- b$d
  pooled <- lm(as.formula(paste("y ~ 0 +", paste(sprintf("g%d + xg%d + dw%d + xdw%d", 1:K, 1:K, 1:K, 1:K),
                                                 collapse = " + "))), data = d)
  extra <- unlist(lapply(2:K, function(j) sprintf(c("G%d", "GX%d", "GW%d", "GXW%d"), j)))
  nested <- lm(as.formula(paste("y ~ x * wc +", paste(extra, collapse = " + "))), data = d)
  effx <- unlist(lapply(2:K, function(j) sprintf(c("GX%d", "GXW%d"), j)))
  d$w2 <- d$w^2
  quad <- lm(y ~ x + w + x:w + w2 + x:w2, data = d)
  cl_vec <- if (is.null(cl)) NULL else d[[cl]]
  list(K = K, se = type, medians = b$med, n = b$n,
       bins = coefs(pooled, sprintf("xg%d", 1:K), type, cl_vec),
       wald = wald(nested, extra, type, cl_vec),
       wald_effects = wald(nested, effx, type, cl_vec),
       quadratic = coefs(quad, c("x:w", "x:w2"), type, cl_vec))
}

bm <- read.csv("tests/reference/blackmore.csv")
bm <- data.frame(y = bm$exercise, x = bm$patient, w = bm$age, subject = bm$subject)
st <- read.csv("tests/reference/states.csv")
st <- data.frame(y = st$life_exp, x = st$income, w = st$illiteracy)
out <- list(
  blackmore_cr2 = case(bm, 3, "CR2", "subject"),
  blackmore_cr1 = case(bm, 4, "CR1", "subject"),
  states_ols = case(st, 3, "ols"),
  states_hc3 = case(st, 3, "HC3"))
write_json17(out, "tests/reference/linearity.json")
cat("written tests/reference/linearity.json\n")
